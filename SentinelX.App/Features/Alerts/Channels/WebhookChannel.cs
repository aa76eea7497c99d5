using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// A generic webhook: <c>POST {url}</c> with the configured <c>headers</c>; any 2xx answer is success.
/// <para>
/// The default body is JSON: <c>{"state":"firing|resolved","rule","ruleId","node","nodeId","severity",
/// "value","threshold","message","startedAt","resolvedAt"}</c> (times in ISO 8601 UTC, a missing value or
/// time is <c>null</c>).
/// </para>
/// <para>
/// <c>bodyTemplate</c> replaces it: text in which <c>{{name}}</c> stands for one of <see cref="Placeholders"/>.
/// The <c>Content-Type</c> header (default <c>application/json</c>) says how each value is written:
/// for a JSON type as a complete JSON value (a quoted, escaped string, a bare number, <c>true</c>/<c>false</c>
/// or <c>null</c>: write <c>{"text": {{text}}}</c>, not <c>"{{text}}"</c>), and the template must then be valid
/// JSON once filled in; for <c>application/x-www-form-urlencoded</c> URL-encoded; otherwise as plain text.
/// </para>
/// </summary>
public sealed partial record WebhookConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "webhook";
    public const int MaxTemplateLength = 16 * 1024;

    /// <summary>Treated as a secret: webhook URLs often carry a token in their path or query.</summary>
    public required Uri Url { get; init; }

    /// <summary>Extra request headers; their values are secrets (an <c>Authorization</c> header, an API key).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string? BodyTemplate { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("url", SecretKind.Url), new("headers", SecretKind.MapValues)];

    /// <summary>
    /// The names a template can use: the default body's fields, <c>durationSeconds</c> (resolved alerts),
    /// <c>title</c> and <c>text</c> (the rendered message in the alert's language, as other channels send it)
    /// and <c>test</c> (true for the <i>Send test</i> button).
    /// </summary>
    public static IReadOnlyList<string> Placeholders { get; } =
    [
        "state", "rule", "ruleId", "node", "nodeId", "severity", "value", "threshold", "message",
        "startedAt", "resolvedAt", "durationSeconds", "title", "text", "test",
    ];

    [GeneratedRegex(@"\{\{\s*([A-Za-z]+)\s*\}\}")]
    private static partial Regex Placeholder();

    internal static WebhookConfig? Read(ConfigReader r)
    {
        var url = r.Url("url");
        var headers = r.Headers("headers");
        var template = r.Text("bodyTemplate", MaxTemplateLength);
        if (template is not null)
        {
            var unknown = Placeholder().Matches(template).Select(m => m.Groups[1].Value).Where(n => !Placeholders.Contains(n)).Distinct().ToList();
            if (unknown.Count > 0)
                r.Error("bodyTemplate", $"Unknown placeholder {string.Join(", ", unknown.Select(u => "{{" + u + "}}"))}; known: {string.Join(", ", Placeholders)}.");
            else if (IsJson(headers) && !FillsToJson(template))
                r.Error("bodyTemplate", "Must be valid JSON once placeholders are filled in (a placeholder stands for a whole JSON value: {\"text\": {{text}}}).");
        }
        return url is null || r.HasErrors ? null : new() { Url = url, Headers = headers, BodyTemplate = template };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        var values = Values(message);
        var content = BodyTemplate is null
            ? HttpDelivery.Json(DefaultBody(values))
            : new StringContent(Fill(BodyTemplate, values, Escaping(Headers)), Encoding.UTF8, "application/json");
        if (BodyTemplate is not null && ContentType(Headers) is { } type && MediaTypeHeaderValue.TryParse(type, out var parsed))
            content.Headers.ContentType = parsed;
        var answer = await HttpDelivery.PostAsync(context, Url, content, Headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key, h => h.Value), ct);
        return answer.IsSuccess ? SendOutcome.Success : answer.Failure();
    }

    private static readonly string[] DefaultFields =
        ["state", "rule", "ruleId", "node", "nodeId", "severity", "value", "threshold", "message", "startedAt", "resolvedAt"];

    private static JsonObject DefaultBody(Dictionary<string, JsonNode?> values) =>
        new(DefaultFields.Select(f => KeyValuePair.Create(f, values[f]?.DeepClone())));

    private static Dictionary<string, JsonNode?> Values(AlertMessage message)
    {
        var n = message.Notification;
        return new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["state"] = n.State == AlertState.Firing ? "firing" : "resolved",
            ["rule"] = n.RuleName,
            ["ruleId"] = n.RuleId,
            ["node"] = n.NodeName,
            ["nodeId"] = n.NodeId,
            ["severity"] = n.Severity.ToString().ToLowerInvariant(),
            ["value"] = n.Value,
            ["threshold"] = n.Threshold,
            ["message"] = n.Message,
            ["startedAt"] = Iso(n.StartedAt),
            ["resolvedAt"] = n.ResolvedAt is { } r ? Iso(r) : null,
            ["durationSeconds"] = n.State == AlertState.Resolved && n.EffectiveDuration is { } d ? Math.Round(d.TotalSeconds) : null,
            ["title"] = message.Title,
            ["text"] = message.ToText(),
            ["test"] = n.IsTest,
        };
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private enum Escape { Json, Form, Text }

    private static bool IsJson(IReadOnlyDictionary<string, string> headers) => Escaping(headers) == Escape.Json;

    private static Escape Escaping(IReadOnlyDictionary<string, string> headers)
    {
        var type = ContentType(headers) ?? "application/json";
        if (type.Contains("json", StringComparison.OrdinalIgnoreCase)) return Escape.Json;
        return type.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ? Escape.Form : Escape.Text;
    }

    // Header names are case-insensitive; a dictionary read back from storage compares them exactly.
    private static string? ContentType(IReadOnlyDictionary<string, string> headers) =>
        headers.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value;

    private static string Fill(string template, Dictionary<string, JsonNode?> values, Escape escape) =>
        Placeholder().Replace(template, m =>
        {
            var value = values[m.Groups[1].Value];
            if (escape == Escape.Json) return value?.ToJsonString(ChannelConfig.Json) ?? "null";
            var text = value switch
            {
                null => "",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => value.ToJsonString(),
            };
            return escape == Escape.Form ? Uri.EscapeDataString(text) : text;
        });

    /// <summary>Checked when the channel is saved, with a sample alert, so a broken template is refused then and not at 3 a.m.</summary>
    private static bool FillsToJson(string template)
    {
        var sample = AlertMessage.Render(AlertNotification.Test("en", DateTimeOffset.UnixEpoch));
        try
        {
            using var _ = JsonDocument.Parse(Fill(template, Values(sample), Escape.Json));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
