using System.Net.Mail;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Reads one channel's <c>config</c> object field by field and collects every problem at once under
/// keys such as <c>config.botToken</c>, the shape <c>TypedResults.ValidationProblem</c> takes.
/// A field that is missing or JSON <c>null</c> counts as not given; a field no reader asked for is an error,
/// so a misspelt key is reported rather than silently ignored.
/// </summary>
internal sealed partial class ConfigReader
{
    public const int MaxUrlLength = 2048;
    public const int MaxSecretLength = 512;
    public const int MaxHeaderValueLength = 4096;
    public const int MaxHeaders = 32;

    private readonly JsonElement _config;
    private readonly Dictionary<string, List<string>> _errors;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public ConfigReader(JsonElement config, Dictionary<string, List<string>> errors)
    {
        _config = config;
        _errors = errors;
    }

    // RFC 9110 token: the characters a header name may have.
    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex Token();

    public void Error(string field, string message)
    {
        var key = "config." + field;
        if (!_errors.TryGetValue(key, out var list)) _errors[key] = list = [];
        list.Add(message);
    }

    public bool HasErrors => _errors.Count > 0;

    /// <summary>A single-line string: no control characters (CR, LF, NUL...), at most <paramref name="maxLength"/> characters.</summary>
    public string? String(string field, int maxLength, bool required = true, Regex? pattern = null, string? patternHint = null)
    {
        if (Raw(field, JsonValueKind.String, "a string", required) is not { } element) return null;
        var value = element.GetString()!;
        if (value.Length == 0)
        {
            if (required) Error(field, "Must not be empty.");
            return null;
        }
        if (!CheckText(field, value, maxLength, multiLine: false)) return null;
        if (pattern is not null && !pattern.IsMatch(value))
        {
            Error(field, patternHint ?? "Has an invalid format.");
            return null;
        }
        return value;
    }

    /// <summary>Text that may span lines (a body template): tabs and line breaks allowed, other control characters not.</summary>
    public string? Text(string field, int maxLength)
    {
        if (Raw(field, JsonValueKind.String, "a string", required: false) is not { } element) return null;
        var value = element.GetString()!;
        return value.Length > 0 && CheckText(field, value, maxLength, multiLine: true) ? value : null;
    }

    /// <summary>
    /// An absolute http(s) URL without user name or password (they would travel in every request and
    /// leak through logs); <paramref name="isBase"/> also refuses a query, since paths are appended to it.
    /// </summary>
    public Uri? Url(string field, bool required = true, string? fallback = null, bool isBase = false)
    {
        var text = String(field, MaxUrlLength, required && fallback is null) ?? (HasError(field) ? null : fallback);
        if (text is null) return null;
        if (text.Any(char.IsWhiteSpace) || !Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
        {
            Error(field, "Must be an absolute http:// or https:// URL.");
            return null;
        }
        if (uri.UserInfo.Length > 0)
        {
            Error(field, "Must not contain a user name or password.");
            return null;
        }
        if (uri.Fragment.Length > 0 || (isBase && uri.Query.Length > 0))
        {
            Error(field, isBase ? "Must be a base URL without query or fragment." : "Must not contain a fragment.");
            return null;
        }
        return isBase ? new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/") : uri;
    }

    public int? Int(string field, int min, int max, bool required = false)
    {
        if (Raw(field, JsonValueKind.Number, "an integer", required) is not { } element) return null;
        if (!element.TryGetInt64(out var value))
        {
            Error(field, "Must be an integer.");
            return null;
        }
        if (value < min || value > max)
        {
            Error(field, $"Must be between {min} and {max}.");
            return null;
        }
        return (int)value;
    }

    public bool Bool(string field, bool fallback = false)
    {
        if (!_known.Add(field) || !_config.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null) return fallback;
        if (element.ValueKind is JsonValueKind.True or JsonValueKind.False) return element.GetBoolean();
        Error(field, "Must be true or false.");
        return fallback;
    }

    /// <summary>A host name or IP address, as for an SMTP server.</summary>
    public string? Host(string field)
    {
        var host = String(field, 253);
        if (host is not null && Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            Error(field, "Must be a host name or IP address.");
            return null;
        }
        return host;
    }

    /// <summary>A bare address (<c>ops@example.com</c>); display names and lists are not accepted here.</summary>
    public string? Email(string field, bool required = true) => CheckEmail(field, String(field, 254, required));

    public IReadOnlyList<string> EmailList(string field, int maxItems)
    {
        if (Raw(field, JsonValueKind.Array, "an array of e-mail addresses", required: true) is not { } element) return [];
        var count = element.GetArrayLength();
        if (count == 0 || count > maxItems)
        {
            Error(field, $"Must hold 1 to {maxItems} addresses.");
            return [];
        }
        var addresses = new List<string>();
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var name = $"{field}[{index++}]";
            if (item.ValueKind != JsonValueKind.String)
                Error(name, "Must be a string.");
            else if (CheckText(name, item.GetString()!, 254, multiLine: false) && CheckEmail(name, item.GetString()) is { } address)
                addresses.Add(address);
        }
        return addresses;
    }

    /// <summary>
    /// Extra HTTP headers: token names, values without CR/LF/NUL (header injection), a bounded count.
    /// Headers the HTTP stack owns (Host, Content-Length, Transfer-Encoding...) are refused.
    /// </summary>
    public IReadOnlyDictionary<string, string> Headers(string field)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (Raw(field, JsonValueKind.Object, "an object of header names to values", required: false) is not { } element) return headers;
        foreach (var header in element.EnumerateObject())
        {
            var name = $"{field}.{header.Name}";
            if (headers.Count >= MaxHeaders)
            {
                Error(field, $"At most {MaxHeaders} headers.");
                break;
            }
            if (header.Name.Length > 256 || !Token().IsMatch(header.Name))
                Error(name, "A header name must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~).");
            else if (ReservedHeaders.Contains(header.Name))
                Error(name, "This header is set by the HTTP client and cannot be configured.");
            else if (headers.ContainsKey(header.Name))
                Error(name, "Given twice.");
            else if (header.Value.ValueKind != JsonValueKind.String)
                Error(name, "Must be a string.");
            else if (CheckText(name, header.Value.GetString()!, MaxHeaderValueLength, multiLine: false))
                headers[header.Name] = header.Value.GetString()!;
        }
        return headers;
    }

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "TE", "Trailer",
        "Proxy-Authorization", "Proxy-Connection", "Expect",
    };

    /// <summary>Reports fields nobody read: typos and fields of another channel type.</summary>
    public void RejectUnknownFields()
    {
        foreach (var property in _config.EnumerateObject())
            if (!_known.Contains(property.Name)) Error(property.Name, "Unknown field.");
    }

    private JsonElement? Raw(string field, JsonValueKind kind, string expected, bool required)
    {
        _known.Add(field);
        if (!_config.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required) Error(field, "Is required.");
            return null;
        }
        if (element.ValueKind != kind)
        {
            Error(field, $"Must be {expected}.");
            return null;
        }
        return element;
    }

    private bool CheckText(string field, string value, int maxLength, bool multiLine)
    {
        if (value.Length > maxLength)
        {
            Error(field, $"Must be at most {maxLength} characters.");
            return false;
        }
        if (value.Any(c => char.IsControl(c) && !(multiLine && c is '\n' or '\r' or '\t')))
        {
            Error(field, multiLine ? "Must not contain control characters such as NUL." : "Must not contain control characters such as CR, LF or NUL.");
            return false;
        }
        return true;
    }

    private string? CheckEmail(string field, string? value)
    {
        if (value is null) return null;
        // MailAddress also accepts "Name <a@b>" and trims; only a bare address that reads back unchanged passes.
        if (value.Any(char.IsWhiteSpace) || !MailAddress.TryCreate(value, out var address)
            || address.Address != value || address.DisplayName.Length > 0 || address.Host.Length == 0)
        {
            Error(field, "Must be an e-mail address such as ops@example.com.");
            return null;
        }
        return value;
    }

    private bool HasError(string field) => _errors.ContainsKey("config." + field);
}
