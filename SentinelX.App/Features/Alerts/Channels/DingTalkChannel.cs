using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// DingTalk (钉钉) custom robot: <c>POST {apiBase}/robot/send?access_token={accessToken}</c>, with a signing
/// secret also <c>&amp;timestamp={ms}&amp;sign={base64(HMAC-SHA256(secret, timestamp + "\n" + secret))}</c>,
/// JSON <c>{"msgtype":"markdown","markdown":{"title","text"}}</c>; success is <c>"errcode":0</c>.
/// </summary>
public sealed partial record DingTalkConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "dingtalk";
    public const string DefaultApiBase = "https://oapi.dingtalk.com";

    public required string AccessToken { get; init; }

    /// <summary>The robot's "加签" secret (<c>SEC…</c>), when the robot has signing switched on.</summary>
    public string? Secret { get; init; }

    public required Uri ApiBase { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("accessToken"), new("secret")];

    [GeneratedRegex("^[A-Za-z0-9_-]{1,256}$")]
    private static partial Regex TokenFormat();

    internal static DingTalkConfig? Read(ConfigReader r)
    {
        var token = r.String("accessToken", 256, pattern: TokenFormat(), patternHint: "Must be the access_token of the robot's webhook URL.");
        var secret = r.String("secret", 256, required: false, NtfyConfig.PrintableAscii(), "Must be printable ASCII without spaces (SEC…).");
        var apiBase = r.Url("apiBase", fallback: DefaultApiBase, isBase: true);
        return token is null || apiBase is null || r.HasErrors ? null : new() { AccessToken = token, Secret = secret, ApiBase = apiBase };
    }

    /// <summary>DingTalk's signature: the timestamp in ms and the secret, HMAC-SHA256 keyed with the secret, Base64.</summary>
    internal static string Sign(long timestampMs, string secret)
    {
        var text = timestampMs.ToString(CultureInfo.InvariantCulture) + "\n" + secret;
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text)));
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var query = "robot/send?access_token=" + Uri.EscapeDataString(AccessToken);
        if (Secret is not null)
        {
            // DingTalk refuses a timestamp more than an hour away from its clock.
            var timestamp = context.Time.GetUtcNow().ToUnixTimeMilliseconds();
            query += $"&timestamp={timestamp}&sign={Uri.EscapeDataString(Sign(timestamp, Secret))}";
        }
        var body = new JsonObject
        {
            ["msgtype"] = "markdown",
            ["markdown"] = new JsonObject
            {
                // The title is what the chat list and notifications show.
                ["title"] = message.Title,
                ["text"] = AlertMessage.Clip(message.ToMarkdown(withTitle: true, lineBreak: "\n\n"), 5000),
            },
        };
        var answer = await HttpDelivery.PostAsync(context, HttpDelivery.Combine(ApiBase, query), HttpDelivery.Json(body), null, ct);
        // -1: system busy; 130101: sending too fast (20 a minute per robot).
        return answer.ServiceCode("DingTalk", "errcode", "errmsg", 0, -1, 130101);
    }
}
