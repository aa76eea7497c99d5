using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace SentinelX.App.Features.Install;

/// <summary>
/// Finds the Node binaries this Core serves (one per runtime identifier) and their SHA-256,
/// computed from the file and cached until its size or modification time changes.
/// </summary>
public sealed class NodeBinaries
{
    public const string FileName = "sentinelx-node";
    public const string DownloadPrefix = FileName + "-";
    public const string ChecksumSuffix = ".sha256";

    /// <summary>The runtime identifiers the install script asks for (musl ones on Alpine).</summary>
    public static readonly IReadOnlyList<string> Rids = ["linux-x64", "linux-arm64", "linux-musl-x64", "linux-musl-arm64"];

    private readonly ConcurrentDictionary<string, Checksum> _checksums = new(StringComparer.Ordinal);

    public NodeBinaries(IOptions<DownloadsOptions> options)
        : this(SearchDirectoriesFor(options.Value.NodeDirectory, AppContext.BaseDirectory, Environment.CurrentDirectory))
    {
    }

    internal NodeBinaries(IReadOnlyList<string> searchDirectories) => SearchDirectories = searchDirectories;

    /// <summary>Where binaries are looked for, in order, each laid out as <c>DIR/&lt;rid&gt;/sentinelx-node</c>.</summary>
    public IReadOnlyList<string> SearchDirectories { get; }

    /// <summary><c>Downloads:NodeDirectory</c> alone when set; else <c>node/</c> beside the Core (a release, or
    /// <c>dotnet run</c>, which builds the Node for its own machine there: build/DevNode.targets), then
    /// <c>artifacts/node/</c> in the working directory (where <c>packaging/build-node.sh</c> writes).</summary>
    internal static IReadOnlyList<string> SearchDirectoriesFor(string? configured, string baseDirectory, string workingDirectory) =>
        !string.IsNullOrWhiteSpace(configured)
            ? [Path.GetFullPath(configured)]
            : [Path.Combine(baseDirectory, "node"), Path.Combine(workingDirectory, "artifacts", "node")];

    /// <summary>The binary for <paramref name="rid"/>, or null when the rid is unknown or nothing was built for it.</summary>
    public FileInfo? Find(string rid)
    {
        if (!Rids.Contains(rid, StringComparer.Ordinal)) return null;
        foreach (var directory in SearchDirectories)
        {
            var file = new FileInfo(Path.Combine(directory, rid, FileName));
            if (file.Exists) return file;
        }

        return null;
    }

    /// <summary>The runtime identifiers a Node can be installed for right now; empty until one is built.</summary>
    public IReadOnlyList<string> Available() => Rids.Where(rid => Find(rid) is not null).ToList();

    /// <summary>The lowercase hex SHA-256 of <paramref name="file"/>.</summary>
    public async Task<string> Sha256Async(FileInfo file, CancellationToken ct = default)
    {
        file.Refresh();
        var stamp = (file.Length, file.LastWriteTimeUtc);
        if (_checksums.TryGetValue(file.FullName, out var cached) && cached.Stamp == stamp) return cached.Hex;

        string hex;
        await using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true))
            hex = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));

        // A build that rewrote the file while it was read gives a hash of neither version: do not keep it.
        file.Refresh();
        if ((file.Length, file.LastWriteTimeUtc) == stamp) _checksums[file.FullName] = new Checksum(stamp, hex);
        return hex;
    }

    /// <summary>The SHA-256 of every binary available now, by rid: what the served install script pins.</summary>
    public async Task<IReadOnlyDictionary<string, string>> PinsAsync(CancellationToken ct = default)
    {
        var pins = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rid in Rids)
        {
            if (Find(rid) is { } file) pins[rid] = await Sha256Async(file, ct);
        }

        return pins;
    }

    /// <summary>Reads a download name: <c>sentinelx-node-linux-x64</c> or <c>sentinelx-node-linux-x64.sha256</c>.</summary>
    public static bool TryParseDownload(string name, out string rid, out bool checksum)
    {
        checksum = name.EndsWith(ChecksumSuffix, StringComparison.Ordinal);
        var stem = checksum ? name[..^ChecksumSuffix.Length] : name;
        rid = stem.StartsWith(DownloadPrefix, StringComparison.Ordinal) ? stem[DownloadPrefix.Length..] : "";
        return Rids.Contains(rid, StringComparer.Ordinal);
    }

    private sealed record Checksum((long Length, DateTime Modified) Stamp, string Hex);
}
