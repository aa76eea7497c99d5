using System.Text.Json;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.StatusPages;

/// <summary>
/// The body of <c>PUT /api/v1/status-pages/{slug}</c>, checked for shape here; whether the ids exist
/// is checked by <see cref="StatusPages"/>. Node and probe ids keep the order given, without repeats.
/// </summary>
public sealed partial record StatusPageInput(string Title, IReadOnlyList<string> NodeIds, IReadOnlyList<string> ProbeIds, bool Public)
{
    public const int MaxTitleLength = 120;
    public const int MaxItems = 100;
    public const int MaxIdLength = 64;

    /// <summary>The slug shown at <c>/status</c>.</summary>
    public const string DefaultSlug = "default";

    public static bool IsSlug(string? slug) => slug is not null && Slug().IsMatch(slug);

    /// <summary>Problems with a page's fields (shape only), keyed by their JSON names.</summary>
    public Dictionary<string, string[]> Validate(string slug)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IsSlug(slug)) errors["slug"] = ["slug must be 1 to 40 of a-z, 0-9 and -"];
        if (TextProblem(Title, MaxTitleLength, "title") is { } title) errors["title"] = [title];
        CheckIds(NodeIds, "nodeIds", errors);
        CheckIds(ProbeIds, "probeIds", errors);
        return errors;
    }

    /// <summary>Reads the JSON body; null with <paramref name="errors"/> filled when a field has the wrong type.</summary>
    public static StatusPageInput? Parse(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["send {\"title\", \"nodeIds\": [...], \"probeIds\": [...], \"public\": true}"];
            return null;
        }

        var title = ReadString(body, "title", errors) ?? "";
        var nodes = ReadIds(body, "nodeIds", errors);
        var probes = ReadIds(body, "probeIds", errors);
        var isPublic = true;
        if (body.TryGetProperty("public", out var flag) && flag.ValueKind != JsonValueKind.Null)
        {
            if (flag.ValueKind is JsonValueKind.True or JsonValueKind.False) isPublic = flag.GetBoolean();
            else errors["public"] = ["public must be true or false"];
        }

        return errors.Count > 0 ? null : new StatusPageInput(title.Trim(), nodes, probes, isPublic);
    }

    /// <summary>"must be …" for a one-line text: required, at most <paramref name="max"/> characters, no control characters.</summary>
    internal static string? TextProblem(string text, int max, string field) =>
        text.Trim().Length is 0 || text.Length > max || text.Any(char.IsControl)
            ? $"{field} must be 1 to {max} characters without control characters (no line breaks)"
            : null;

    internal static string? ReadString(JsonElement body, string field, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        errors[field] = [$"{field} must be a string"];
        return null;
    }

    private static List<string> ReadIds(JsonElement body, string field, Dictionary<string, string[]> errors)
    {
        var ids = new List<string>();
        if (!body.TryGetProperty(field, out var list) || list.ValueKind == JsonValueKind.Null) return ids;
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() > MaxItems)
        {
            errors[field] = [$"{field} must be an array of at most {MaxItems} ids"];
            return ids;
        }

        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                errors[field] = [$"{field} must hold strings"];
                return [];
            }

            var id = item.GetString()!;
            if (!ids.Contains(id, StringComparer.Ordinal)) ids.Add(id);
        }

        return ids;
    }

    private static void CheckIds(IReadOnlyList<string> ids, string field, Dictionary<string, string[]> errors)
    {
        if (ids.Count > MaxItems) errors[field] = [$"at most {MaxItems} {field}"];
        // Ids are stored comma-separated; anything else an id never holds is refused before it is looked up.
        else if (ids.Any(id => id.Length is 0 or > MaxIdLength || id.Any(c => char.IsControl(c) || c == ',')))
            errors[field] = [$"{field} must hold ids of 1 to {MaxIdLength} characters without commas or control characters"];
    }

    [GeneratedRegex("^[a-z0-9-]{1,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex Slug();
}

/// <summary>The body of <c>POST</c> and <c>PUT …/incidents</c>: the whole note each time.</summary>
public sealed record StatusIncidentInput(string Title, string Body, string State)
{
    public const int MaxTitleLength = 200;
    public const int MaxBodyLength = 5000;

    public static readonly IReadOnlyList<string> States = [Investigating, Identified, Monitoring, Resolved];

    public const string Investigating = "investigating";
    public const string Identified = "identified";
    public const string Monitoring = "monitoring";
    public const string Resolved = "resolved";

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (StatusPageInput.TextProblem(Title, MaxTitleLength, "title") is { } title) errors["title"] = [title];
        // Line breaks and tabs are the only control characters a note keeps; the page shows them as written.
        if (Body.Length > MaxBodyLength || Body.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            errors["body"] = [$"body must be at most {MaxBodyLength} characters; line breaks are the only control characters allowed"];
        if (!States.Contains(State)) errors["state"] = ["state must be investigating, identified, monitoring or resolved"];
        return errors;
    }

    public static StatusIncidentInput? Parse(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["send {\"title\", \"body\", \"state\"}"];
            return null;
        }

        var title = StatusPageInput.ReadString(body, "title", errors) ?? "";
        var text = StatusPageInput.ReadString(body, "body", errors) ?? "";
        var state = StatusPageInput.ReadString(body, "state", errors) ?? "";
        return errors.Count > 0 ? null : new StatusIncidentInput(title.Trim(), text.Replace("\r\n", "\n", StringComparison.Ordinal), state);
    }
}
