using System.Text.Json.Nodes;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Discord webhook: <c>POST {webhookUrl}</c> with JSON <c>{"username","embeds":[{"title","description","color","timestamp"}],"allowed_mentions":{"parse":[]}}</c>;
/// Discord answers 204. No mentions are parsed, so a rule named "@everyone" pings nobody.
/// </summary>
public sealed record DiscordConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "discord";

    /// <summary>https://discord.com/api/webhooks/{id}/{token}: the token makes the whole URL a secret.</summary>
    public required Uri WebhookUrl { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("webhookUrl", SecretKind.Url)];

    internal static DiscordConfig? Read(ConfigReader r) => r.Url("webhookUrl") is { } url ? new() { WebhookUrl = url } : null;

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var n = message.Notification;
        var body = new JsonObject
        {
            ["username"] = "SentinelX",
            ["embeds"] = new JsonArray(new JsonObject
            {
                ["title"] = AlertMessage.Clip(message.Title, 256),
                ["description"] = AlertMessage.Clip(message.ToMarkdown(), 4096),
                ["color"] = Color(n),
                ["timestamp"] = (n.ResolvedAt ?? n.StartedAt).UtcDateTime.ToString("O"),
            }),
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
        };
        var answer = await HttpDelivery.PostAsync(context, WebhookUrl, HttpDelivery.Json(body), null, ct);
        return answer.IsSuccess ? SendOutcome.Success : answer.Failure();
    }

    private static int Color(AlertNotification n) => n.State == AlertState.Resolved
        ? 0x2E7D32
        : n.Severity switch
        {
            AlertSeverity.Critical => 0xC62828,
            AlertSeverity.Warning => 0xEF6C00,
            _ => 0x1565C0,
        };
}
