using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// ServerChan (Server酱 Turbo): <c>POST {apiBase}/{sendKey}.send</c> with form fields <c>title</c> (at most 32
/// characters) and <c>desp</c> (Markdown); success is <c>"code":0</c>.
/// </summary>
public sealed partial record ServerChanConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "serverchan";
    public const string DefaultApiBase = "https://sctapi.ftqq.com";

    public required string SendKey { get; init; }
    public required Uri ApiBase { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("sendKey")];

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex KeyFormat();

    internal static ServerChanConfig? Read(ConfigReader r)
    {
        var key = r.String("sendKey", 128, pattern: KeyFormat(), patternHint: "Must be the SendKey (SCT…) from ServerChan.");
        var apiBase = r.Url("apiBase", fallback: DefaultApiBase, isBase: true);
        return key is null || apiBase is null ? null : new() { SendKey = key, ApiBase = apiBase };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var form = HttpDelivery.Form(("title", AlertMessage.Clip(message.Title, 32)), ("desp", message.ToMarkdown()));
        var answer = await HttpDelivery.PostAsync(context, HttpDelivery.Combine(ApiBase, SendKey + ".send"), form, null, ct);
        return answer.ServiceCode("ServerChan", "code", "message", 0);
    }
}
