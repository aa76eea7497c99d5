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
    /// Rewrites <paramref name="configPath"/> without its <c>"key"</c>, keeping every other field
    /// (mode 0600): once the Node has its own secret, the fleet key has no business on this server.
    /// True when the file no longer holds a key; false (with the reason) when it could not be rewritten.
    /// </summary>
    public static bool RemoveKey(string configPath, out string? error)
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
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            return false;
        }
    }
}
