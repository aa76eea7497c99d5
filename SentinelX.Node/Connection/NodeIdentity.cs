using System.Text.Json;
using SentinelX.Node.Config;

namespace SentinelX.Node.Connection;

/// <summary>Who this Node is to the Core: written once at enrollment to <c>DATA/identity.json</c> (mode 0600).</summary>
internal sealed record NodeIdentity
{
    public const string FileName = "identity.json";

    public required string NodeId { get; init; }
    public required string Secret { get; init; }

    /// <summary>The Core that issued the identity; another Core means enrolling again.</summary>
    public required string Core { get; init; }

    /// <summary>The stored identity, or null when there is none (or it is unreadable, which the log says).</summary>
    public static NodeIdentity? Load(string dataDir) =>
        NodeFiles.ReadJson(Path.Combine(dataDir, FileName), NodeJsonContext.Default.NodeIdentity, "enrolling again") is { NodeId.Length: > 0, Secret.Length: > 0 } identity
            ? identity : null;

    /// <summary>Writes the identity readable by this user only, atomically (temp file + rename).</summary>
    public void Save(string dataDir)
    {
        Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        NodeFiles.WriteSecret(Path.Combine(dataDir, FileName), JsonSerializer.SerializeToUtf8Bytes(this, NodeJsonContext.Default.NodeIdentity));
    }

    /// <summary>Moves a rejected identity aside (kept for the operator to inspect) so the next attempt enrolls.</summary>
    public static void Discard(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path)) File.Move(path, path + ".rejected", overwrite: true);
    }
}
