using System.Text.Json.Nodes;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Gotify: <c>POST {server}/message</c> with <c>X-Gotify-Key: {token}</c> (an application token) and JSON
/// <c>{"title","message","priority","extras":{"client::display":{"contentType":"text/markdown"}}}</c>; Gotify answers 200.
/// </summary>
public sealed record GotifyConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "gotify";

    public required Uri Server { get; init; }
    public required string Token { get; init; }

    /// <summary>0 to 10; when not set, by severity: critical 8, warning 5, otherwise 2.</summary>
    public int? Priority { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("token")];

    internal static GotifyConfig? Read(ConfigReader r)
    {
        var server = r.Url("server", isBase: true);
        var token = r.String("token", ConfigReader.MaxSecretLength, pattern: NtfyConfig.PrintableAscii(), patternHint: "Must be printable ASCII without spaces.");
        var priority = r.Int("priority", 0, 10);
        return server is null || token is null || r.HasErrors ? null : new() { Server = server, Token = token, Priority = priority };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var n = message.Notification;
        var body = new JsonObject
        {
            ["title"] = message.Title,
            ["message"] = message.ToMarkdown(),
            ["priority"] = Priority ?? (n.State == AlertState.Resolved ? 2 : n.Severity switch
            {
                AlertSeverity.Critical => 8,
                AlertSeverity.Warning => 5,
                _ => 2,
            }),
            ["extras"] = new JsonObject { ["client::display"] = new JsonObject { ["contentType"] = "text/markdown" } },
        };
        var headers = new Dictionary<string, string> { ["X-Gotify-Key"] = Token };
        var answer = await HttpDelivery.PostAsync(context, HttpDelivery.Combine(Server, "message"), HttpDelivery.Json(body), headers, ct);
        return answer.IsSuccess ? SendOutcome.Success : answer.Failure();
    }
}
