using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Keeps channel secrets (bot tokens, passwords, keys, webhook URLs that carry a token, webhook
/// header values) out of the database and out of API answers:
/// <list type="bullet">
/// <item><see cref="Protect"/> / <see cref="Unprotect"/>: the whole config, encrypted with ASP.NET Core Data Protection (the Core's key ring in <c>data/keys</c>), is what gets stored.</item>
/// <item><see cref="Redact"/>: the config for API responses; every secret field is replaced by <c>{"set":true}</c> or <c>{"set":false}</c>, a secret URL by <c>{"set":true,"origin":"https://host"}</c>, each webhook header value by <c>{"set":true}</c>.</item>
/// <item>On update (<see cref="ChannelConfigParser.Parse"/> with the current config), a secret field that is omitted, <c>null</c> or such a <c>{"set":…}</c> object keeps the stored value; <c>""</c> clears an optional one.</item>
/// </list>
/// </summary>
public sealed class ChannelSecrets(IDataProtectionProvider protection)
{
    /// <summary>Data Protection purpose: a protected config can be read back only under this purpose.</summary>
    public const string Purpose = "SentinelX.Alerts.ChannelConfig.v1";

    private readonly IDataProtector _protector = protection.CreateProtector(Purpose);

    /// <summary>The string to store for a validated config; it holds no secret in clear.</summary>
    public string Protect(ChannelConfig config) => _protector.Protect(JsonSerializer.Serialize(config, ChannelConfig.Json));

    /// <summary>
    /// Reads back what <see cref="Protect"/> made. Throws <see cref="System.Security.Cryptography.CryptographicException"/>
    /// when the string was altered or the key ring that protected it is gone.
    /// </summary>
    public ChannelConfig Unprotect(string stored) =>
        JsonSerializer.Deserialize<ChannelConfig>(_protector.Unprotect(stored), ChannelConfig.Json)
            ?? throw new InvalidDataException("The stored channel config is empty.");

    /// <summary>The config as the API shows it (the <c>config</c> object, without <c>type</c>), secrets replaced.</summary>
    public static JsonObject Redact(ChannelConfig config)
    {
        var node = ToNode(config);
        foreach (var field in config.SecretFields)
        {
            var value = node[field.Name];
            node[field.Name] = field.Kind switch
            {
                SecretKind.MapValues when value is JsonObject map => RedactValues(map),
                SecretKind.MapValues => null,
                SecretKind.Url when value is not null => new JsonObject { ["set"] = true, ["origin"] = Origin(value.GetValue<string>()) },
                _ => new JsonObject { ["set"] = value is not null },
            };
            if (node[field.Name] is null) node.Remove(field.Name);
        }
        return node;
    }

    /// <summary>For an update: fills secret fields the client left out (or sent back redacted) from the stored config.</summary>
    internal static JsonElement KeepStoredSecrets(JsonElement incoming, ChannelConfig stored)
    {
        var update = JsonNode.Parse(incoming.GetRawText())!.AsObject();
        var current = ToNode(stored);
        foreach (var field in stored.SecretFields)
        {
            update.TryGetPropertyValue(field.Name, out var given);
            if (field.Kind == SecretKind.MapValues && given is JsonObject map)
            {
                var kept = current[field.Name] as JsonObject;
                foreach (var (name, value) in map.ToList())
                    if (IsKeep(value))
                        map[name] = kept?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.DeepClone();
            }
            else if (IsKeep(given))
            {
                update[field.Name] = current[field.Name]?.DeepClone();
            }
        }
        return JsonSerializer.SerializeToElement(update, ChannelConfig.Json);
    }

    /// <summary>Every secret in clear, so error texts from services can be scrubbed of them before they are stored or shown.</summary>
    internal static IEnumerable<string> SecretValues(ChannelConfig config)
    {
        var node = ToNode(config);
        foreach (var field in config.SecretFields)
        {
            var values = node[field.Name] is JsonObject map ? map.Select(h => h.Value) : [node[field.Name]];
            foreach (var value in values)
                if (value?.GetValue<string>() is { Length: >= 4 } secret) yield return secret;
        }
    }

    private static JsonObject ToNode(ChannelConfig config)
    {
        var node = JsonSerializer.SerializeToNode(config, ChannelConfig.Json)!.AsObject();
        node.Remove("type");
        return node;
    }

    private static bool IsKeep(JsonNode? value) => value is null || (value is JsonObject o && o.ContainsKey("set"));

    private static JsonObject RedactValues(JsonObject map) =>
        new(map.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)new JsonObject { ["set"] = true })));

    private static string Origin(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : "";
}
