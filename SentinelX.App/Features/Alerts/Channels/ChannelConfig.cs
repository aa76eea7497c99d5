using System.Collections.Frozen;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// A validated channel configuration: one sealed record per channel type, each in its own file with
/// its parsing and its sender. Instances hold secrets in clear; store them through
/// <see cref="ChannelSecrets.Protect"/> and show them through <see cref="ChannelSecrets.Redact"/>.
/// </summary>
/// <param name="Type">The channel type as the API spells it: "webhook", "telegram", ...</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(WebhookConfig), WebhookConfig.TypeName)]
[JsonDerivedType(typeof(TelegramConfig), TelegramConfig.TypeName)]
[JsonDerivedType(typeof(EmailConfig), EmailConfig.TypeName)]
[JsonDerivedType(typeof(NtfyConfig), NtfyConfig.TypeName)]
[JsonDerivedType(typeof(GotifyConfig), GotifyConfig.TypeName)]
[JsonDerivedType(typeof(BarkConfig), BarkConfig.TypeName)]
[JsonDerivedType(typeof(DiscordConfig), DiscordConfig.TypeName)]
[JsonDerivedType(typeof(SlackConfig), SlackConfig.TypeName)]
[JsonDerivedType(typeof(WeComConfig), WeComConfig.TypeName)]
[JsonDerivedType(typeof(DingTalkConfig), DingTalkConfig.TypeName)]
[JsonDerivedType(typeof(ServerChanConfig), ServerChanConfig.TypeName)]
public abstract record ChannelConfig([property: JsonIgnore] string Type)
{
    /// <summary>The fields never shown back and kept on update when omitted.</summary>
    [JsonIgnore]
    internal abstract IReadOnlyList<SecretField> SecretFields { get; }

    /// <summary>One attempt at sending <paramref name="message"/>; exceptions are mapped to failures by <see cref="ChannelSender"/>.</summary>
    internal abstract Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct);

    /// <summary>How configs are written for storage and read back: camelCase, the type as discriminator.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

internal enum SecretKind
{
    /// <summary>A token, key or password.</summary>
    Value,

    /// <summary>A URL that carries a secret in its path or query: redacted to its origin.</summary>
    Url,

    /// <summary>An object whose every value is a secret (a webhook's headers).</summary>
    MapValues,
}

internal sealed record SecretField(string Name, SecretKind Kind = SecretKind.Value);

/// <summary>The outcome of <see cref="ChannelConfigParser.Parse"/>: a config, or errors per field for a ValidationProblem.</summary>
public sealed record ChannelConfigResult(ChannelConfig? Config, IDictionary<string, string[]> Errors)
{
    public bool IsValid => Config is not null;
}

/// <summary>Turns the API's <c>type</c> and <c>config</c> into a <see cref="ChannelConfig"/>, or says what is wrong with each field.</summary>
public static class ChannelConfigParser
{
    /// <summary>Configs larger than this are refused whole; the largest legitimate one is a webhook with a body template.</summary>
    public const int MaxConfigBytes = 64 * 1024;

    private static readonly (string Type, Func<ConfigReader, ChannelConfig?> Read)[] Kinds =
    [
        (WebhookConfig.TypeName, WebhookConfig.Read),
        (TelegramConfig.TypeName, TelegramConfig.Read),
        (EmailConfig.TypeName, EmailConfig.Read),
        (NtfyConfig.TypeName, NtfyConfig.Read),
        (GotifyConfig.TypeName, GotifyConfig.Read),
        (BarkConfig.TypeName, BarkConfig.Read),
        (DiscordConfig.TypeName, DiscordConfig.Read),
        (SlackConfig.TypeName, SlackConfig.Read),
        (WeComConfig.TypeName, WeComConfig.Read),
        (DingTalkConfig.TypeName, DingTalkConfig.Read),
        (ServerChanConfig.TypeName, ServerChanConfig.Read),
    ];

    private static readonly FrozenDictionary<string, Func<ConfigReader, ChannelConfig?>> Readers =
        Kinds.ToFrozenDictionary(k => k.Type, k => k.Read, StringComparer.Ordinal);

    /// <summary>Every channel type, as the API spells them.</summary>
    public static IReadOnlyList<string> Types { get; } = [.. Kinds.Select(k => k.Type)];

    /// <summary>
    /// Validates a new config, or an update of <paramref name="current"/>: then a secret field that is
    /// omitted, <c>null</c> or the redacted <c>{"set":true}</c> keeps its stored value (see <see cref="ChannelSecrets"/>).
    /// Error keys are <c>type</c> and <c>config.&lt;field&gt;</c>.
    /// </summary>
    public static ChannelConfigResult Parse(string? type, JsonElement config, ChannelConfig? current = null)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (type is null || !Readers.TryGetValue(type, out var read))
        {
            errors["type"] = [$"Must be one of: {string.Join(", ", Types)}."];
            return Result(null, errors);
        }
        if (config.ValueKind != JsonValueKind.Object)
        {
            errors["config"] = ["Must be a JSON object."];
            return Result(null, errors);
        }
        if (config.GetRawText().Length > MaxConfigBytes)
        {
            errors["config"] = [$"Must be at most {MaxConfigBytes / 1024} KB."];
            return Result(null, errors);
        }
        if (current is not null && current.Type == type)
            config = ChannelSecrets.KeepStoredSecrets(config, current);

        var reader = new ConfigReader(config, errors);
        var parsed = read(reader);
        reader.RejectUnknownFields();
        return Result(reader.HasErrors ? null : parsed, errors);
    }

    private static ChannelConfigResult Result(ChannelConfig? config, Dictionary<string, List<string>> errors) =>
        new(config, errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
}
