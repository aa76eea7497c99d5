using System.Text.Json.Nodes;

namespace SentinelX.App.Features.Alerts;

/// <summary>How one config key of a channel type is edited in the channel dialog.</summary>
public sealed record ChannelField(string Key, string Label, string Kind = ChannelField.Text, string Placeholder = "", bool Required = false)
{
    public const string Text = "text";
    public const string Secret = "secret";
    public const string Number = "number";
    public const string Flag = "flag";

    /// <summary>Comma-separated values sent as a JSON array (email recipients).</summary>
    public const string List = "list";

    /// <summary>"Name: value" lines sent as an object of secret values (webhook headers).</summary>
    public const string Headers = "headers";

    /// <summary>The fields of each type, in the order the dialog shows them (see docs/alert-channels.md).</summary>
    public static IReadOnlyList<ChannelField> For(string type) => type switch
    {
        "webhook" => [new("url", "URL", Secret, "https://example.com/hook", true), new("headers", "Headers (one \"Name: value\" per line)", Headers, "Authorization: Bearer …")],
        "telegram" => [new("botToken", "Bot token", Secret, "123456789:AA…", true), new("chatId", "Chat id", Text, "-1001234567890", true), new("apiBase", "API base URL (optional)", Text, "https://api.telegram.org")],
        "email" =>
        [
            new("host", "SMTP server", Text, "smtp.example.com", true), new("security", "Security (starttls, tls or none)", Text, "starttls"),
            new("port", "Port", Number, "587"), new("username", "User name (optional)"), new("password", "Password", Secret),
            new("from", "From", Text, "alerts@example.com", true), new("to", "To (comma-separated)", List, "me@example.com", true),
        ],
        "ntfy" => [new("server", "Server", Text, "https://ntfy.sh"), new("topic", "Topic", Text, "my-servers", true), new("token", "Access token (optional)", Secret)],
        "gotify" => [new("server", "Server", Text, "https://gotify.example.com", true), new("token", "Application token", Secret, "", true)],
        "bark" => [new("server", "Server", Text, "https://api.day.app"), new("deviceKey", "Device key", Secret, "", true)],
        "discord" => [new("webhookUrl", "Webhook URL", Secret, "https://discord.com/api/webhooks/…", true)],
        "slack" => [new("webhookUrl", "Webhook URL", Secret, "https://hooks.slack.com/services/…", true)],
        "wecom" => [new("key", "Robot key", Secret, "", true)],
        "dingtalk" => [new("accessToken", "Access token", Secret, "", true), new("secret", "Signing secret (optional)", Secret, "SEC…")],
        "serverchan" => [new("sendKey", "SendKey", Secret, "SCT…", true)],
        _ => [],
    };

    /// <summary>
    /// The config object from the dialog's values. Empty values are left out: for a secret of a
    /// saved channel that keeps the stored value; for anything else the type's default applies.
    /// </summary>
    public static JsonObject ToConfig(string type, IReadOnlyDictionary<string, string> values)
    {
        var config = new JsonObject();
        foreach (var field in For(type))
        {
            if (!values.TryGetValue(field.Key, out var value) || string.IsNullOrWhiteSpace(value)) continue;
            config[field.Key] = field.Kind switch
            {
                Number => int.TryParse(value.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : value.Trim(),
                Flag => value == "true",
                List => new JsonArray([.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => JsonValue.Create(v))]),
                Headers => HeadersOf(value),
                _ => value.Trim(),
            };
        }

        return config;
    }

    /// <summary>What the dialog shows for a saved channel: its redacted config, secrets as empty fields.</summary>
    public static Dictionary<string, string> FromConfig(string type, JsonObject config)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in For(type))
        {
            var node = config[field.Key];
            values[field.Key] = field.Kind switch
            {
                _ when node is null => "",
                Secret => "",
                List when node is JsonArray array => string.Join(", ", array.Select(v => v?.ToString())),
                Headers when node is JsonObject headers => string.Join('\n', headers.Select(h => h.Key + ": ")),
                _ => node is JsonValue v ? v.ToString() : "",
            };
        }

        return values;
    }

    private static JsonObject HeadersOf(string text)
    {
        var headers = new JsonObject();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            var value = line[(colon + 1)..].Trim();
            // "Name:" alone keeps the stored value of a saved channel's header.
            headers[line[..colon].Trim()] = value.Length == 0 ? null : value;
        }

        return headers;
    }
}
