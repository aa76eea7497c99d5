using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Telegram Bot API: <c>POST {apiBase}/bot{botToken}/sendMessage</c> with JSON
/// <c>{"chat_id","text","parse_mode":"HTML","disable_web_page_preview":true}</c>; success is <c>"ok":true</c>.
/// </summary>
public sealed partial record TelegramConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "telegram";
    public const string DefaultApiBase = "https://api.telegram.org";

    public required string BotToken { get; init; }

    /// <summary>A numeric chat id (negative for groups) or <c>@channelusername</c>.</summary>
    public required string ChatId { get; init; }

    public required Uri ApiBase { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("botToken")];

    [GeneratedRegex(@"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$")]
    private static partial Regex TokenFormat();

    [GeneratedRegex(@"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")]
    private static partial Regex ChatFormat();

    internal static TelegramConfig? Read(ConfigReader r)
    {
        var token = r.String("botToken", 128, pattern: TokenFormat(), patternHint: "Must look like 123456789:AA… as given by @BotFather.");
        var chat = r.String("chatId", 64, pattern: ChatFormat(), patternHint: "Must be a numeric chat id or @channelusername.");
        var apiBase = r.Url("apiBase", fallback: DefaultApiBase, isBase: true);
        return token is null || chat is null || apiBase is null ? null : new() { BotToken = token, ChatId = chat, ApiBase = apiBase };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["chat_id"] = ChatId,
            ["text"] = AlertMessage.Clip(message.ToTelegramHtml(), 4096),
            ["parse_mode"] = "HTML",
            ["disable_web_page_preview"] = true,
        };
        var answer = await HttpDelivery.PostAsync(context, HttpDelivery.Combine(ApiBase, $"bot{BotToken}/sendMessage"), HttpDelivery.Json(body), null, ct);
        var json = answer.JsonBody();
        if (answer.IsSuccess && json?["ok"] is JsonValue ok && ok.TryGetValue<bool>(out var isOk) && isOk) return SendOutcome.Success;
        if (json?["description"] is JsonValue description && description.TryGetValue<string>(out var text))
        {
            var code = json["error_code"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : answer.Status;
            return SendOutcome.Failed($"Telegram error {code}: {HttpAnswer.Excerpt(text)}", code is 429 or >= 500);
        }
        return answer.IsSuccess ? SendOutcome.Failed("Telegram answered without \"ok\":true", false) : answer.Failure();
    }
}
