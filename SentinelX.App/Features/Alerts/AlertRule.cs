using System.Text.Json;
using System.Text.Json.Nodes;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Alerts;

/// <summary>Which Nodes a rule covers: all, a list of ids, or every Node with any of some tags.</summary>
public sealed record AlertScope(bool All, IReadOnlyList<string> NodeIds, IReadOnlyList<string> Tags)
{
    public static readonly AlertScope Everything = new(true, [], []);

    public bool Covers(NodeState node) =>
        All || NodeIds.Contains(node.Id, StringComparer.Ordinal) || (Tags.Count > 0 && node.Tags.Any(t => Tags.Contains(t, StringComparer.Ordinal)));

    public JsonObject ToJson() =>
        All ? new JsonObject { ["all"] = true }
        : NodeIds.Count > 0 ? new JsonObject { ["nodeIds"] = new JsonArray([.. NodeIds.Select(id => JsonValue.Create(id))]) }
        : new JsonObject { ["tags"] = new JsonArray([.. Tags.Select(t => JsonValue.Create(t))]) };

    public static AlertScope? Parse(JsonElement? json, IDictionary<string, string[]> errors)
    {
        if (json is not { } scope || scope.ValueKind == JsonValueKind.Null) return Everything;
        if (scope.ValueKind != JsonValueKind.Object)
        {
            errors["scope"] = ["must be {\"all\":true}, {\"nodeIds\":[…]} or {\"tags\":[…]}"];
            return null;
        }

        if (scope.TryGetProperty("all", out var all) && all.ValueKind == JsonValueKind.True) return Everything;
        var ids = ReadList(scope, "nodeIds", errors);
        var tags = ReadList(scope, "tags", errors);
        if (ids.Count == 0 && tags.Count == 0)
            errors["scope"] = ["name the Nodes: {\"all\":true}, {\"nodeIds\":[…]} or {\"tags\":[…]}"];
        else if (ids.Count > 0 && tags.Count > 0)
            errors["scope"] = ["give nodeIds or tags, not both"];
        return errors.ContainsKey("scope") || errors.ContainsKey("scope.nodeIds") || errors.ContainsKey("scope.tags") ? null : new AlertScope(false, ids, tags);
    }

    public static AlertScope FromStored(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement, new Dictionary<string, string[]>()) ?? Everything;
    }

    private static List<string> ReadList(JsonElement scope, string field, IDictionary<string, string[]> errors)
    {
        if (!scope.TryGetProperty(field, out var list) || list.ValueKind == JsonValueKind.Null) return [];
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > 500)
        {
            errors[$"scope.{field}"] = ["must be an array of at most 500 strings"];
            return [];
        }

        var values = new List<string>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 and <= 64 } value || value.Any(c => char.IsControl(c) || c == ','))
            {
                errors[$"scope.{field}"] = ["must hold non-empty strings of at most 64 characters without commas or control characters"];
                return [];
            }

            if (!values.Contains(value, StringComparer.Ordinal)) values.Add(value);
        }

        return values;
    }
}

/// <summary>A rule as the engine uses it: parsed once when it is loaded or saved.</summary>
public sealed record AlertRule(
    string Id, string Name, bool Enabled, AlertScope Scope, AlertCondition Condition, string Severity,
    IReadOnlyList<string> Channels, int RepeatMinutes, bool Muted, DateTimeOffset? MutedUntil)
{
    public static readonly IReadOnlyList<string> Severities = ["info", "warning", "critical"];

    /// <summary>Muted now: the switch is on and its end time (if any) has not passed.</summary>
    public bool IsMuted(DateTimeOffset now) => Muted && (MutedUntil is null || MutedUntil > now);

    public static AlertRule From(AlertRuleRecord record) => new(
        record.Id, record.Name, record.Enabled, AlertScope.FromStored(record.ScopeJson), AlertCondition.FromStored(record.ConditionJson),
        record.Severity, SplitIds(record.Channels), record.RepeatMinutes, record.Muted,
        record.MutedUntil is { } until ? DateTimeOffset.FromUnixTimeMilliseconds(until) : null);

    public static IReadOnlyList<string> SplitIds(string csv) =>
        csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The body of <c>POST/PUT /api/v1/alerts/rules</c>, checked field by field.</summary>
public sealed record AlertRuleInput(
    string Name, bool Enabled, AlertScope Scope, AlertCondition Condition, string Severity,
    IReadOnlyList<string> Channels, int RepeatMinutes, bool Muted, DateTimeOffset? MutedUntil)
{
    /// <summary>Parses the request body; returns null with <paramref name="errors"/> filled when it is unusable.</summary>
    public static AlertRuleInput? Parse(JsonElement body, IDictionary<string, string[]> errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["the body must be a JSON object"];
            return null;
        }

        var read = new FieldReader(body, "rule", errors);
        var name = read.String("name", required: true, maxLength: 100)?.Trim();
        var enabled = Bool(body, "enabled", true, errors);
        var scope = AlertScope.Parse(body.TryGetProperty("scope", out var s) ? s : null, errors);
        AlertCondition? condition = null;
        if (body.TryGetProperty("condition", out var c)) condition = AlertCondition.Parse(c, errors);
        else errors["condition"] = ["is required"];
        var severity = read.String("severity", maxLength: 10) ?? "warning";
        if (!AlertRule.Severities.Contains(severity)) errors["severity"] = ["must be info, warning or critical"];
        var channels = ReadChannels(body, errors);
        var repeat = read.Int("repeatMinutes", 0, 10_080) ?? 0;
        var muted = Bool(body, "muted", false, errors);
        DateTimeOffset? mutedUntil = null;
        if (body.TryGetProperty("mutedUntil", out var until) && until.ValueKind != JsonValueKind.Null)
        {
            if (until.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(until.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
                mutedUntil = at.ToUniversalTime();
            else
                errors["mutedUntil"] = ["must be an ISO 8601 time"];
        }

        // FieldReader files rule fields under "rule."; the API reports them by their own names.
        foreach (var key in errors.Keys.Where(k => k.StartsWith("rule.", StringComparison.Ordinal)).ToList())
        {
            errors[key[5..]] = errors[key];
            errors.Remove(key);
        }

        return errors.Count > 0 || name is null || scope is null || condition is null
            ? null
            : new AlertRuleInput(name, enabled, scope, condition, severity, channels, repeat, muted, mutedUntil);
    }

    private static bool Bool(JsonElement body, string field, bool fallback, IDictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        errors[field] = ["must be true or false"];
        return fallback;
    }

    private static List<string> ReadChannels(JsonElement body, IDictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty("channels", out var list) || list.ValueKind == JsonValueKind.Null) return [];
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > 20
            || list.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String || i.GetString() is not { Length: > 0 and <= 64 } id || id.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))))
        {
            errors["channels"] = ["must be an array of at most 20 channel ids"];
            return [];
        }

        return [.. list.EnumerateArray().Select(i => i.GetString()!).Distinct(StringComparer.Ordinal)];
    }
}
