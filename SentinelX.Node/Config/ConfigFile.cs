using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Serialization;

namespace SentinelX.Node.Config;

/// <summary>
/// Reads node.toml (or an older node.json) into the settings it names, each with the line it is on,
/// checking only the file's shape: syntax, unknown keys, duplicates, size. Values are checked by
/// each setting's kind in <see cref="NodeSettingsLoader"/>, so a problem names file, line and key.
/// </summary>
internal static partial class ConfigFile
{
    /// <summary>A Node's config is a few hundred bytes; a file past this is a mistake or an attack, not a config.</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>Deeper than a setting ever needs (a table holding an array); deeper input is refused before it is walked.</summary>
    private const int MaxDepth = 8;

    /// <summary>Stands for a table where a setting's value was expected.</summary>
    public sealed class Table
    {
        public static readonly Table Instance = new();
    }

    /// <summary>One setting in the file: its table key, its value (string, long, double, bool, a list of those, or <see cref="Table"/>) and its line (1-based).</summary>
    public sealed record Entry(Setting Setting, object? Value, int Line);

    public static bool IsJson(string path) => path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The settings in <paramref name="path"/>, or null with the reasons added to <paramref name="errors"/>.</summary>
    public static IReadOnlyList<Entry>? Read(string path, List<string> errors)
    {
        return ReadText(path, errors) is { } text ? Parse(path, text, errors) : null;
    }

    /// <summary>The settings in <paramref name="text"/>, named <paramref name="path"/> in messages (its extension picks TOML or JSON).</summary>
    public static IReadOnlyList<Entry>? Parse(string path, string text, List<string> errors)
    {
        var before = errors.Count;
        var entries = IsJson(path) ? ReadJson(path, text, errors) : ReadToml(path, text, errors);
        return errors.Count > before ? null : entries;
    }

    /// <summary>The file as text: at most <see cref="MaxBytes"/>, valid UTF-8.</summary>
    public static string? ReadText(string path, List<string> errors)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, FileOptions.None);
            var buffer = new byte[MaxBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0) length += read;
            if (length > MaxBytes)
            {
                errors.Add($"config file {path} is larger than {MaxBytes / 1024} KiB; a Node's config is a few lines");
                return null;
            }

            var bytes = buffer.AsSpan(0, length);
            if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            errors.Add($"config file {path} is not UTF-8 text");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"config file {path} cannot be read: {ex.Message}");
        }

        return null;
    }

    private static List<Entry> ReadToml(string path, string text, List<string> errors)
    {
        var entries = new List<Entry>();
        var store = new TomlMetadataStore();
        var options = new TomlSerializerOptions
        {
            SourceName = path,
            MetadataStore = store,
            MaxDepth = MaxDepth,
            DuplicateKeyHandling = TomlDuplicateKeyHandling.Error,
            TypeInfoResolver = NodeTomlContext.Default,
        };
        TomlTable root;
        try
        {
            // The serializer reads with a depth limit, so the syntax tree below never recurses past it.
            root = (TomlTable)TomlSerializer.Deserialize(text, NodeTomlContext.Default.GetTypeInfo(typeof(TomlTable), options)!)!;
        }
        catch (TomlException ex)
        {
            // Tomlyn's hint to raise MaxDepth is for the program, not for the owner of the file.
            var message = ex.Message.Contains("maximum depth", StringComparison.Ordinal)
                ? ex.Message[..(ex.Message.IndexOf("maximum depth", StringComparison.Ordinal) + "maximum depth".Length)] + $" of {MaxDepth} nested arrays or tables has been exceeded"
                : ex.Message;
            errors.Add(Located(path, message, ex.Line ?? 0, ex.Column ?? 0));
            return entries;
        }

        // The syntax tree catches what the model lets through: a key or table defined twice.
        var document = SyntaxParser.Parse(text, path, validate: true);
        foreach (var diagnostic in document.Diagnostics)
            errors.Add($"{path}:{diagnostic.Span.Start.Line + 1}: {diagnostic.Message}");
        if (errors.Count > 0) return entries;

        Walk(root, "");
        return entries;

        void Walk(TomlTable table, string prefix)
        {
            store.TryGetProperties(table, out var lines);
            foreach (var (name, value) in table)
            {
                var line = lines is not null && lines.TryGetProperty(name, out var metadata) && metadata.Span is { } span ? span.Start.Line + 1 : 0;
                var key = prefix + name;
                if (IsTableKey(key))
                {
                    if (value is TomlTable inner) Walk(inner, key + ".");
                    else errors.Add($"{path}:{line}: {key} must be a table ({TableExample(key)}), not {Kind(value)}");
                }
                else if (NodeSettingsTable.ByKey(key) is { } setting) entries.Add(new Entry(setting, Plain(value), line));
                else errors.Add($"{path}:{line}: unknown key {key}{Suggest(key)}");
            }
        }

        static object? Plain(object? value) => value switch
        {
            TomlArray array => array.Select(Plain).ToList(),
            TomlTable or TomlTableArray => Table.Instance,
            _ => value,
        };
    }

    /// <summary>The older format: camelCase keys, matched without regard to case; comments and trailing commas allowed.</summary>
    private static List<Entry> ReadJson(string path, string text, List<string> errors)
    {
        var entries = new List<Entry>();
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = MaxDepth,
        });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                errors.Add($"{path}:1: the file must hold one JSON object");
                return entries;
            }

            Walk(ref reader, "");
            if (reader.Read()) errors.Add($"{path}:{LineOf(reader.TokenStartIndex)}: unexpected data after the JSON object");
        }
        catch (JsonException ex)
        {
            var message = ex.Message.IndexOf(" LineNumber:", StringComparison.Ordinal) is var cut and > 0 ? ex.Message[..cut] : ex.Message;
            errors.Add($"{path}:{(ex.LineNumber ?? 0) + 1}: {message}");
        }

        return entries;

        void Walk(ref Utf8JsonReader json, string prefix)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var line = LineOf(json.TokenStartIndex);
                var name = json.GetString()!;
                json.Read();
                var key = prefix + name;
                if (!seen.Add(name))
                {
                    errors.Add($"{path}:{line}: {key} is given twice");
                    json.Skip();
                }
                else if (NodeSettingsTable.FileSettings.Any(s => s.Key!.StartsWith(key + ".", StringComparison.OrdinalIgnoreCase)))
                {
                    var table = NodeSettingsTable.FileSettings.First(s => s.Key!.StartsWith(key + ".", StringComparison.OrdinalIgnoreCase)).Key!;
                    table = table[..table.IndexOf('.', StringComparison.Ordinal)];
                    if (json.TokenType == JsonTokenType.StartObject) Walk(ref json, table + ".");
                    else
                    {
                        errors.Add($"{path}:{line}: {table} must be an object ({TableExample(table)}), not {Kind(Value(ref json))}");
                    }
                }
                else if (NodeSettingsTable.ByKeyIgnoringCase(key) is { } setting) entries.Add(new Entry(setting, Value(ref json), line));
                else
                {
                    errors.Add($"{path}:{line}: unknown key {key}");
                    json.Skip();
                }
            }
        }

        static object? Value(ref Utf8JsonReader json)
        {
            switch (json.TokenType)
            {
                case JsonTokenType.String: return json.GetString();
                case JsonTokenType.Number: return json.TryGetInt64(out var whole) ? (object)whole : json.GetDouble();
                case JsonTokenType.True: return true;
                case JsonTokenType.False: return false;
                case JsonTokenType.StartArray:
                    var list = new List<object?>();
                    while (json.Read() && json.TokenType != JsonTokenType.EndArray) list.Add(Value(ref json));
                    return list;
                case JsonTokenType.StartObject:
                    json.Skip();
                    return Table.Instance;
                default: return null;
            }
        }

        int LineOf(long offset)
        {
            var line = 1;
            for (var i = 0; i < offset && i < bytes.Length; i++) if (bytes[i] == '\n') line++;
            return line;
        }
    }

    private static bool IsTableKey(string key) => NodeSettingsTable.FileSettings.Any(s => s.Key!.StartsWith(key + ".", StringComparison.Ordinal));

    private static string TableExample(string table) =>
        string.Join(", ", NodeSettingsTable.FileSettings.Where(s => s.Key!.StartsWith(table + ".", StringComparison.Ordinal)).Select(s => s.Key![(table.Length + 1)..]));

    /// <summary>The known key the owner most likely meant: the same but for case, underscores or a prefix, or at most two typos away.</summary>
    private static string Suggest(string key)
    {
        static string Plain(string k) => k.Replace("_", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal).ToLowerInvariant();
        var keys = NodeSettingsTable.FileSettings.Select(s => s.Key!).ToList();
        var meant = keys.FirstOrDefault(k => Plain(k) == Plain(key))
            ?? keys.FirstOrDefault(k => k.StartsWith(key, StringComparison.OrdinalIgnoreCase) || key.StartsWith(k, StringComparison.OrdinalIgnoreCase))
            ?? keys.Select(k => (Key: k, Distance: Distance(Plain(k), Plain(key)))).Where(k => k.Distance <= 2).OrderBy(k => k.Distance).Select(k => k.Key).FirstOrDefault();
        return meant is not null ? $" (did you mean {meant}?)" : $" (known keys: {string.Join(", ", keys)})";
    }

    /// <summary>Levenshtein distance; keys are short, so the plain table is cheap.</summary>
    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 2 || a.Length > 64 || b.Length > 64) return int.MaxValue;
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }

    private static string Kind(object? value) => value switch
    {
        TomlTable or Table => "a table",
        TomlArray or IReadOnlyList<object?> => "an array",
        string => "a string",
        bool => "a boolean",
        long => "a whole number",
        double => "a fractional number",
        null => "null",
        _ => "a date or time",
    };

    /// <summary>Tomlyn's "path(line,col) : error : …" (wrapped in "Reason:" by the serializer) as "path:line:col: …".</summary>
    private static string Located(string path, string message, int line, int column)
    {
        var reason = message.LastIndexOf("Reason: ", StringComparison.Ordinal) is var at and >= 0 ? message[(at + 8)..] : message;
        var match = TomlyLocation().Match(reason.Trim());
        return match.Success
            ? $"{path}:{match.Groups["line"].Value}:{match.Groups["column"].Value}: {match.Groups["message"].Value}"
            : $"{path}:{line}:{column}: {reason.Trim()}";
    }

    [GeneratedRegex(@"^.*\((?<line>\d+),(?<column>\d+)\) : error : (?<message>.*)$", RegexOptions.Singleline)]
    private static partial Regex TomlyLocation();
}

/// <summary>Tomlyn's source-generated metadata for the TOML model, so reading node.toml needs no reflection (NativeAOT).</summary>
[TomlSerializable(typeof(TomlTable))]
internal sealed partial class NodeTomlContext : TomlSerializerContext;
