using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Bark (iOS push): <c>POST {server}/push</c> with JSON <c>{"device_key","title","body","group":"SentinelX","level"}</c>;
/// success is <c>"code":200</c> in the answer.
/// </summary>
public sealed partial record BarkConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "bark";
    public const string DefaultServer = "https://api.day.app";

    public required Uri Server { get; init; }
    public required string DeviceKey { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("deviceKey")];

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex KeyFormat();

    internal static BarkConfig? Read(ConfigReader r)
    {
        var server = r.Url("server", fallback: DefaultServer, isBase: true);
        var key = r.String("deviceKey", 128, pattern: KeyFormat(), patternHint: "Must be the device key from the Bark app (letters and digits).");
        return server is null || key is null ? null : new() { Server = server, DeviceKey = key };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var n = message.Notification;
        var body = new JsonObject
        {
            ["device_key"] = DeviceKey,
            ["title"] = message.Title,
            ["body"] = message.ToText(),
            ["group"] = "SentinelX",
            // timeSensitive breaks through Focus modes; kept for critical alerts that start firing.
            ["level"] = n.State == AlertState.Firing && n.Severity == AlertSeverity.Critical ? "timeSensitive" : "active",
        };
        var answer = await HttpDelivery.PostAsync(context, HttpDelivery.Combine(Server, "push"), HttpDelivery.Json(body), null, ct);
        return answer.ServiceCode("Bark", "code", "message", 200);
    }
}
