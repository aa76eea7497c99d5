using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>
/// <c>&lt;dataDir&gt;/forwards/</c>: the last placement set with its credentials (so the Node runs
/// its rules at start even while the Core is unreachable) and the counters. Files are written to a
/// temporary name and renamed, mode 0600, so a crash never leaves half a file.
/// </summary>
internal sealed class ForwardStore(string dataDir)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _directory = Path.Combine(dataDir, "forwards");

    /// <summary>What counters.json holds now, as last written by this store.</summary>
    private byte[]? _savedCounters;

    public string PlacementsPath => Path.Combine(_directory, "placements.json");
    public string CountersPath => Path.Combine(_directory, "counters.json");

    public ForwardSyncParams? LoadPlacements() => Load(PlacementsPath, ProtocolJsonContext.Default.ForwardSyncParams);

    public ForwardCountersFile LoadCounters() => Load(CountersPath, ForwardJsonContext.Default.ForwardCountersFile) ?? new ForwardCountersFile();

    public void SavePlacements(ForwardSyncParams placements) =>
        Save(PlacementsPath, JsonSerializer.SerializeToUtf8Bytes(placements, ProtocolJsonContext.Default.ForwardSyncParams));

    /// <summary>Writes the counters unless the file already holds exactly these: the engine flushes every
    /// 2 s, and an idle Node (no rules, or no traffic) should not rewrite and fsync a file each time.</summary>
    public void SaveCounters(ForwardCountersFile counters)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(counters, ForwardJsonContext.Default.ForwardCountersFile);
        if (_savedCounters is not null && bytes.AsSpan().SequenceEqual(_savedCounters)) return;
        Save(CountersPath, bytes);
        _savedCounters = bytes;
    }

    private static T? Load<T>(string path, JsonTypeInfo<T> info) where T : class
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), info) : null;
        }
        catch (JsonException ex)
        {
            // A damaged file must not keep the Node from starting: the Core pushes the set again.
            Logging.Log.Warn($"ignoring unreadable {path}: {ex.Message}");
            return null;
        }
    }

    private void Save(string path, byte[] json)
    {
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        }))
        {
            file.Write(json);
            file.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, OwnerOnly);
        File.Move(temp, path, overwrite: true);
    }
}
