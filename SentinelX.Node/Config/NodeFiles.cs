using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace SentinelX.Node.Config;

/// <summary>Writes the Node's secret-bearing files: readable by this user only, atomically (temp file + rename).</summary>
internal static class NodeFiles
{
    /// <summary>The file's JSON, or null when it does not exist or cannot be read (which the log says, with <paramref name="fallback"/>).</summary>
    public static T? ReadJson<T>(string path, JsonTypeInfo<T> type, string fallback) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), type);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            Logging.Log.Error($"cannot read {path}; {fallback}", ex);
            return null;
        }
    }

    public static void WriteSecret(string path, ReadOnlySpan<byte> content)
    {
        var temp = path + ".tmp";
        File.Delete(temp);
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Forgets the fleet key once the Node has its own secret: DATA/enrollment.key is deleted, a
    /// config file is rewritten without its <c>key</c> (mode 0600, every other line kept). True when
    /// no key is left there; false (with the reason) when the file could not be changed.
    /// </summary>
    public static bool ForgetKey(string path, out string? error)
    {
        error = null;
        try
        {
            if (Path.GetFileName(path) == NodeSettingsLoader.EnrollmentKeyFile)
            {
                File.Delete(path);
                return true;
            }

            return ConfigFile.IsJson(path) ? RemoveJsonKey(path, out error) : RemoveTomlKey(path, out error);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            return false;
        }
    }

    private static bool RemoveTomlKey(string path, out string? error)
    {
        var problems = new List<string>();
        var text = ConfigFile.ReadText(path, problems);
        if (text is null)
        {
            error = string.Join("; ", problems);
            return false;
        }

        var without = TomlConfigEditor.Remove(text, NodeSettingsTable.Key.Key!);
        error = null;
        if (without == text) return true;
        WriteSecret(path, System.Text.Encoding.UTF8.GetBytes(without));
        return true;
    }

    /// <summary>An older node.json without its <c>"key"</c>.</summary>
    private static bool RemoveJsonKey(string configPath, out string? error)
    {
        error = null;
        try
        {
            var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
            if (JsonNode.Parse(File.ReadAllBytes(configPath), documentOptions: options) is not JsonObject config)
            {
                error = "it is not a JSON object";
                return false;
            }

            var key = config.FirstOrDefault(p => string.Equals(p.Key, "key", StringComparison.OrdinalIgnoreCase)).Key;
            if (key is null) return true;
            config.Remove(key);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                config.WriteTo(writer);
            buffer.WriteByte((byte)'\n');
            WriteSecret(configPath, buffer.ToArray());
            return true;
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return false;
        }
    }
}
