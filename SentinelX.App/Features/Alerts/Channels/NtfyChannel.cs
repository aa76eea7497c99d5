using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// ntfy, published as JSON to the server's root: <c>POST {server}/</c> with
/// <c>{"topic","title","message","markdown":true,"priority","tags"}</c> and, with a token,
/// <c>Authorization: Bearer {token}</c>. JSON rather than the Title/Priority headers, because a
/// Chinese title is not a valid HTTP header value.
/// </summary>
public sealed partial record NtfyConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "ntfy";
    public const string DefaultServer = "https://ntfy.sh";

    public required Uri Server { get; init; }
    public required string Topic { get; init; }

    /// <summary>An access token (<c>tk_…</c>) for protected topics.</summary>
    public string? Token { get; init; }

    /// <summary>1 (min) to 5 (max); when not set, by severity: critical 5, warning 4, otherwise 3.</summary>
    public int? Priority { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("token")];

    // ntfy's own rule for topic names.
    [GeneratedRegex("^[-_A-Za-z0-9]{1,64}$")]
    private static partial Regex TopicFormat();

    [GeneratedRegex("^[!-~]+$")]
    internal static partial Regex PrintableAscii();

    internal static NtfyConfig? Read(ConfigReader r)
    {
        var server = r.Url("server", fallback: DefaultServer, isBase: true);
        var topic = r.String("topic", 64, pattern: TopicFormat(), patternHint: "Must be 1 to 64 letters, digits, '-' or '_'.");
        var token = r.String("token", ConfigReader.MaxSecretLength, required: false, PrintableAscii(), "Must be printable ASCII without spaces.");
        var priority = r.Int("priority", 1, 5);
        return server is null || topic is null || r.HasErrors ? null : new() { Server = server, Topic = topic, Token = token, Priority = priority };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var n = message.Notification;
        var body = new JsonObject
        {
            ["topic"] = Topic,
            ["title"] = message.Title,
            ["message"] = message.ToMarkdown(),
            ["markdown"] = true,
            ["priority"] = Priority ?? (n.State == AlertState.Resolved ? 3 : n.Severity switch
            {
                AlertSeverity.Critical => 5,
                AlertSeverity.Warning => 4,
                _ => 3,
            }),
            // Emoji short codes ntfy shows in front of the title.
            ["tags"] = new JsonArray(n.State == AlertState.Resolved ? "white_check_mark" : n.Severity switch
            {
                AlertSeverity.Critical => "rotating_light",
                AlertSeverity.Warning => "warning",
                _ => "information_source",
            }),
        };
        var headers = Token is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + Token };
        var answer = await HttpDelivery.PostAsync(context, Server, HttpDelivery.Json(body), headers, ct);
        return answer.IsSuccess ? SendOutcome.Success : answer.Failure();
    }
}
