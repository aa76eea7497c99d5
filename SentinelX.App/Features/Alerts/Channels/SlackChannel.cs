using System.Text.Json.Nodes;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Slack incoming webhook: <c>POST {webhookUrl}</c> with JSON <c>{"text": title, "blocks":[{"type":"section","text":{"type":"mrkdwn","text":…}}]}</c>;
/// <c>text</c> is what notifications show, the block what the channel shows. Slack answers 200 <c>ok</c>.
/// </summary>
public sealed record SlackConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "slack";

    /// <summary>https://hooks.slack.com/services/T…/B…/…: the path is the secret.</summary>
    public required Uri WebhookUrl { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("webhookUrl", SecretKind.Url)];

    internal static SlackConfig? Read(ConfigReader r) => r.Url("webhookUrl") is { } url ? new() { WebhookUrl = url } : null;

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["text"] = message.Title,
            ["blocks"] = new JsonArray(new JsonObject
            {
                ["type"] = "section",
                // A section's text is limited to 3,000 characters.
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = AlertMessage.Clip(message.ToSlackMrkdwn(), 3000) },
            }),
        };
        var answer = await HttpDelivery.PostAsync(context, WebhookUrl, HttpDelivery.Json(body), null, ct);
        return answer.IsSuccess ? SendOutcome.Success : answer.Failure();
    }
}
