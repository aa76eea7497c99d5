using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// WeCom (企业微信) group robot: <c>POST {apiBase}/cgi-bin/webhook/send?key={key}</c> (or the robot's full
/// <c>url</c>) with JSON <c>{"msgtype":"markdown","markdown":{"content":…}}</c>, content at most 4,096 bytes;
/// success is <c>"errcode":0</c>.
/// </summary>
public sealed partial record WeComConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "wecom";
    public const string DefaultApiBase = "https://qyapi.weixin.qq.com";

    /// <summary>The robot's key; either this or <see cref="Url"/>.</summary>
    public string? Key { get; init; }

    /// <summary>The robot's whole webhook URL as WeCom shows it, key included.</summary>
    public Uri? Url { get; init; }

    public Uri? ApiBase { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("key"), new("url", SecretKind.Url)];

    [GeneratedRegex("^[A-Za-z0-9-]{1,128}$")]
    private static partial Regex KeyFormat();

    internal static WeComConfig? Read(ConfigReader r)
    {
        var key = r.String("key", 128, required: false, KeyFormat(), "Must be the key of the robot's webhook URL (letters, digits and '-').");
        var url = r.Url("url", required: false);
        var apiBase = r.Url("apiBase", required: false, isBase: true);
        if ((key is null) == (url is null) && !r.HasErrors) r.Error("key", "Give either \"key\" or \"url\".");
        if (url is not null && apiBase is not null) r.Error("apiBase", "Only used with \"key\"; \"url\" is already complete.");
        return r.HasErrors ? null : new() { Key = key, Url = url, ApiBase = key is null ? null : apiBase ?? new Uri(DefaultApiBase + "/") };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var url = Url ?? HttpDelivery.Combine(ApiBase!, "cgi-bin/webhook/send?key=" + Uri.EscapeDataString(Key!));
        var body = new JsonObject
        {
            ["msgtype"] = "markdown",
            ["markdown"] = new JsonObject { ["content"] = AlertMessage.ClipUtf8(message.ToMarkdown(withTitle: true), 4096) },
        };
        var answer = await HttpDelivery.PostAsync(context, url, HttpDelivery.Json(body), null, ct);
        // -1: system busy; 45009: too many messages (20 a minute per robot).
        return answer.ServiceCode("WeCom", "errcode", "errmsg", 0, -1, 45009);
    }
}
