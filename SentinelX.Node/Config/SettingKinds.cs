using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SentinelX.Node.Config;

/// <summary>
/// One kind of setting value: how it is read from a flag or an environment variable (text), how it
/// is read from the config file (a TOML or JSON value), and how it is written back as TOML. Problems
/// are returned as text that reads after the setting's source ("--interval-ms: …").
/// </summary>
internal abstract class SettingKind<T> where T : notnull
{
    /// <summary>The placeholder --help shows after the flag: URL, N, PATH,…</summary>
    public abstract string Placeholder { get; }

    public abstract bool TryParse(string text, [NotNullWhen(true)] out T? value, out string error);

    /// <summary>A file value: string, long, bool, double, a list, or a table (<see cref="ConfigFile"/>).</summary>
    public abstract bool TryRead(object? file, [NotNullWhen(true)] out T? value, out string error);

    public abstract string ToToml(T value);

    /// <summary>How a value reads in --help and in messages.</summary>
    public virtual string Show(T value) => ToToml(value);

    /// <summary>What a file value is, for "must be a string, not an array".</summary>
    public static string Describe(object? file) => file switch
    {
        string => "a string",
        bool => "a boolean",
        long or int => "a whole number",
        double => "a fractional number",
        IReadOnlyList<object?> => "an array",
        ConfigFile.Table => "a table",
        null => "null",
        _ => "a date or time",
    };

    protected static string Quote(string text)
    {
        var shown = text.Length <= 64 ? text : text[..64] + "…";
        var builder = new StringBuilder("\"");
        foreach (var c in shown)
        {
            if (char.IsControl(c)) builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else builder.Append(c);
        }

        return builder.Append('"').ToString();
    }

    /// <summary>A TOML basic string: quotes, backslashes and control characters escaped.</summary>
    public static string TomlString(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    else builder.Append(c);
                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}

/// <summary>Text: a string in the file; control characters and overlong values are refused, an optional check does the rest.</summary>
internal sealed class TextKind<T>(string placeholder, Func<string, (T? Value, string? Error)> convert, Func<T, string> text, int maxLength = 1024)
    : SettingKind<T> where T : notnull
{
    public override string Placeholder => placeholder;

    public override bool TryParse(string text, [NotNullWhen(true)] out T? value, out string error)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) error = "is empty; leave it out to use the default";
        else if (text.Length > maxLength) error = $"{Quote(text)} is longer than {maxLength} characters";
        else if (text.Any(char.IsControl)) error = $"{Quote(text)} contains control characters";
        else
        {
            (value, var problem) = convert(text);
            error = problem ?? "";
            return problem is null && value is not null;
        }

        return false;
    }

    public override bool TryRead(object? file, [NotNullWhen(true)] out T? value, out string error)
    {
        if (file is string s) return TryParse(s, out value, out error);
        value = default;
        error = $"must be a string, not {Describe(file)}";
        return false;
    }

    public override string ToToml(T value) => TomlString(text(value));

    public override string Show(T value) => text(value);
}

/// <summary>A whole number within a range: digits as text, an integer in the file.</summary>
internal sealed class WholeKind(int min, int max, string unit = "") : SettingKind<int>
{
    public override string Placeholder => "N";

    public int Min => min;
    public int Max => max;

    public override bool TryParse(string text, out int value, out string error)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            value = 0;
            error = $"{Quote(text)} is not a whole number";
            return false;
        }

        return InRange(number, out value, out error);
    }

    public override bool TryRead(object? file, out int value, out string error)
    {
        if (file is long number) return InRange(number, out value, out error);
        value = 0;
        error = $"must be a whole number, not {Describe(file)}";
        return false;
    }

    private bool InRange(long number, out int value, out string error)
    {
        value = (int)Math.Clamp(number, int.MinValue, int.MaxValue);
        error = number < min || number > max ? $"{number} must be within {min} to {max}{unit}" : "";
        return error.Length == 0;
    }

    public override string ToToml(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Yes or no: <c>true</c>/<c>false</c> (or 1/0, yes/no) as text, a boolean in the file; a bare flag means true.</summary>
internal sealed class SwitchKind : SettingKind<bool>
{
    public override string Placeholder => "[=true|false]";

    public override bool TryParse(string text, out bool value, out string error)
    {
        error = "";
        switch (text.ToLowerInvariant())
        {
            case "true" or "1" or "yes":
                value = true;
                return true;
            case "false" or "0" or "no":
                value = false;
                return true;
            default:
                value = false;
                error = $"{Quote(text)} must be true or false";
                return false;
        }
    }

    public override bool TryRead(object? file, out bool value, out string error)
    {
        error = "";
        if (file is bool b)
        {
            value = b;
            return true;
        }

        value = false;
        error = $"must be true or false, not {Describe(file)}";
        return false;
    }

    public override string ToToml(bool value) => value ? "true" : "false";
}

/// <summary>A list: comma-separated as text, an array of strings in the file; each entry checked on its own.</summary>
internal sealed class ListKind<TItem>(
    string placeholder, int maxCount, Func<string, (TItem? Item, string? Error)> item, Func<TItem, string> text, Func<IEnumerable<string>, IEnumerable<string>>? skip = null)
    : SettingKind<IReadOnlyList<TItem>> where TItem : notnull
{
    public override string Placeholder => placeholder;

    public override bool TryParse(string text, [NotNullWhen(true)] out IReadOnlyList<TItem>? value, out string error) =>
        TryItems(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), out value, out error);

    public override bool TryRead(object? file, [NotNullWhen(true)] out IReadOnlyList<TItem>? value, out string error)
    {
        value = null;
        if (file is not IReadOnlyList<object?> array)
        {
            error = $"must be an array of strings, not {Describe(file)}";
            return false;
        }

        var strings = new List<string>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not string s)
            {
                error = $"entry {i + 1} must be a string, not {Describe(array[i])}";
                return false;
            }

            strings.Add(s.Trim());
        }

        return TryItems(strings, out value, out error);
    }

    private bool TryItems(IReadOnlyList<string> entries, [NotNullWhen(true)] out IReadOnlyList<TItem>? value, out string error)
    {
        value = null;
        if (entries.Count > maxCount)
        {
            error = $"holds {entries.Count} entries, more than {maxCount}";
            return false;
        }

        var items = new List<TItem>();
        var problems = new List<string>();
        foreach (var entry in skip is null ? entries : skip(entries))
        {
            if (entry.Length > 1024 || entry.Any(char.IsControl))
            {
                problems.Add($"entry {Quote(entry)} is too long or contains control characters");
                continue;
            }

            var (parsed, problem) = item(entry);
            if (problem is not null || parsed is null) problems.Add(problem ?? $"entry {Quote(entry)} is not valid");
            else if (!items.Contains(parsed)) items.Add(parsed);
        }

        error = string.Join("; ", problems);
        if (problems.Count > 0) return false;
        value = items;
        return true;
    }

    public override string ToToml(IReadOnlyList<TItem> value) => "[" + string.Join(", ", value.Select(v => TomlString(text(v)))) + "]";

    public override string Show(IReadOnlyList<TItem> value) => value.Count == 0 ? "none" : string.Join(",", value.Select(text));
}

/// <summary>A length of time: <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c> or a sum such as <c>1h30m</c>; a string in the file.</summary>
internal sealed class DurationKind(TimeSpan min, TimeSpan max) : SettingKind<TimeSpan>
{
    public override string Placeholder => "DURATION";

    public override bool TryParse(string text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        error = $"{Quote(text)} is not a duration such as 90s, 30m, 12h or 7d";
        var rest = text.Trim();
        if (rest.Length is 0 or > 32) return false;
        while (rest.Length > 0)
        {
            var digits = 0;
            while (digits < rest.Length && char.IsAsciiDigit(rest[digits])) digits++;
            var unit = digits;
            while (unit < rest.Length && char.IsAsciiLetterLower(rest[unit])) unit++;
            if (digits == 0 || digits > 9 || unit == digits) return false;
            var number = long.Parse(rest.AsSpan(0, digits), CultureInfo.InvariantCulture);
            TimeSpan part;
            switch (rest[digits..unit])
            {
                case "s": part = TimeSpan.FromSeconds(number); break;
                case "m": part = TimeSpan.FromMinutes(number); break;
                case "h": part = TimeSpan.FromHours(number); break;
                case "d": part = TimeSpan.FromDays(number); break;
                default: return false;
            }

            value += part;
            rest = rest[unit..];
        }

        error = value < min || value > max ? $"{Show(value)} must be within {Show(min)} to {Show(max)}" : "";
        return error.Length == 0;
    }

    public override bool TryRead(object? file, out TimeSpan value, out string error)
    {
        if (file is string s) return TryParse(s, out value, out error);
        value = TimeSpan.Zero;
        error = $"must be a duration string such as \"7d\", not {Describe(file)}";
        return false;
    }

    public override string ToToml(TimeSpan value) => TomlString(Show(value));

    public override string Show(TimeSpan value)
    {
        var text = new StringBuilder();
        if (value.Days > 0) text.Append(CultureInfo.InvariantCulture, $"{value.Days}d");
        if (value.Hours > 0) text.Append(CultureInfo.InvariantCulture, $"{value.Hours}h");
        if (value.Minutes > 0) text.Append(CultureInfo.InvariantCulture, $"{value.Minutes}m");
        if (value.Seconds > 0 || text.Length == 0) text.Append(CultureInfo.InvariantCulture, $"{value.Seconds}s");
        return text.ToString();
    }
}

/// <summary>A size in bytes: a whole number of bytes, or a number with KiB, MiB or GiB (text or file string).</summary>
internal sealed class SizeKind(long min, long max) : SettingKind<long>
{
    public override string Placeholder => "SIZE";

    public override bool TryParse(string text, out long value, out string error)
    {
        value = 0;
        var trimmed = text.Trim();
        var digits = 0;
        while (digits < trimmed.Length && char.IsAsciiDigit(trimmed[digits])) digits++;
        var scale = trimmed[digits..].Trim() switch
        {
            "" or "B" => 1,
            "KiB" => 1L << 10,
            "MiB" => 1L << 20,
            "GiB" => 1L << 30,
            _ => 0,
        };
        if (digits is 0 or > 12 || scale == 0)
        {
            error = $"{Quote(text)} is not a size such as 100MiB or 2GiB (KiB, MiB, GiB, or a number of bytes)";
            return false;
        }

        return InRange(long.Parse(trimmed.AsSpan(0, digits), CultureInfo.InvariantCulture) * scale, out value, out error);
    }

    public override bool TryRead(object? file, out long value, out string error)
    {
        if (file is string s) return TryParse(s, out value, out error);
        if (file is long bytes) return InRange(bytes, out value, out error);
        value = 0;
        error = $"must be a size such as \"100MiB\", not {Describe(file)}";
        return false;
    }

    private bool InRange(long bytes, out long value, out string error)
    {
        value = bytes;
        error = bytes < min || bytes > max ? $"{Show(bytes)} must be within {Show(min)} to {Show(max)}" : "";
        return error.Length == 0;
    }

    public override string ToToml(long value) => TomlString(Show(value));

    public override string Show(long value) =>
        value % (1L << 30) == 0 && value > 0 ? $"{value >> 30}GiB"
        : value % (1L << 20) == 0 && value > 0 ? $"{value >> 20}MiB"
        : value % (1L << 10) == 0 && value > 0 ? $"{value >> 10}KiB"
        : value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Parsers of single values the table's kinds are built from.</summary>
internal static class SettingValues
{
    public static (Uri?, string?) HttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host)
            ? (uri, null)
            : (null, $"\"{text}\" must be an absolute http:// or https:// URL");

    public static (string?, string?) AbsolutePath(string text) =>
        Path.IsPathFullyQualified(text) ? (text, null) : (null, $"\"{text}\" must be an absolute path");

    /// <summary>A root for file operations: absolute, normalized, without a trailing slash.</summary>
    public static (string?, string?) Root(string text) =>
        !Path.IsPathFullyQualified(text) ? (null, $"entry \"{text}\" must be an absolute path")
        : (Path.TrimEndingDirectorySeparator(Path.GetFullPath(text)) is { Length: > 0 } full ? full : "/", null);

    public static (string?, string?) Capability(string text)
    {
        var name = text.ToLowerInvariant();
        return Shared.Protocol.Capabilities.IsKnown(name)
            ? (name, null)
            : (null, $"unknown capability \"{text}\" (known: {string.Join(", ", Shared.Protocol.Capabilities.All)}, or none)");
    }

    /// <summary>
    /// A CIDR (<c>10.0.0.0/8</c>, <c>fe80::/10</c>) or a single address (<c>::1</c>). Host bits must be
    /// zero: "127.0.0.1/8" is refused rather than silently read as 127.0.0.0/8, the owner may have meant another thing.
    /// </summary>
    public static (IPNetwork, string?) Network(string entry)
    {
        if (entry.Length is > 0 and <= 64 && !entry.Contains('/') && !entry.Contains('%') && IPAddress.TryParse(entry, out var single))
            return (new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), null);
        if (entry.Length is > 0 and <= 64 && entry.Contains('/') && IPNetwork.TryParse(entry, out var network)
            && IPAddress.TryParse(entry.AsSpan(0, entry.IndexOf('/')), out var written) && written.Equals(network.BaseAddress))
            return (network, null);
        return (default, $"entry \"{entry}\" is not an IP address or a CIDR with its host bits zero (e.g. 127.0.0.0/8, ::1/128)");
    }

    /// <summary>A single network shows as its address: "::1" reads better than "::1/128".</summary>
    public static string ShowNetwork(IPNetwork network) =>
        network.PrefixLength == (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            ? network.BaseAddress.ToString() : network.ToString();
}
