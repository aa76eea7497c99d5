namespace SentinelX.App.Features.Keys;

/// <summary>
/// The enrollment key in <c>DATA/core.key</c> (mode 0600). It is read from disk on every use, so
/// <c>sentinelx key rotate</c> from another process takes effect at once without a restart.
/// Enrolled Nodes authenticate with their own secrets and are unaffected by a rotation.
/// </summary>
public sealed class CoreKeyStore(string dataDir)
{
    public const string Prefix = "sxk_";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string KeyPath { get; } = Path.Combine(dataDir, "core.key");

    /// <summary>Returns the key, generating it on first use.</summary>
    public string GetOrCreate()
    {
        if (TryRead() is { } key) return key;
        Directory.CreateDirectory(Path.GetDirectoryName(KeyPath)!);
        try
        {
            return Write(SecretText.New(Prefix), overwrite: false);
        }
        catch (IOException) when (TryRead() is { } raced)
        {
            return raced; // another process created it first
        }
    }

    /// <summary>The current key, or null when none was generated yet.</summary>
    public string? TryRead()
    {
        if (!File.Exists(KeyPath)) return null;
        var text = File.ReadAllText(KeyPath).Trim();
        return text.Length > 0 ? text : null;
    }

    /// <summary>Replaces the key; the old one stops enrolling new Nodes at once.</summary>
    public string Rotate()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(KeyPath)!);
        return Write(SecretText.New(Prefix), overwrite: true);
    }

    /// <summary>Whether a presented key is the current one (constant-time).</summary>
    public bool IsValid(string? presented) =>
        TryRead() is { } key && SecretText.Matches(presented, SecretText.Hash(key));

    private string Write(string key, bool overwrite)
    {
        // Write a sibling file with 0600 from the start, then rename: the key is never world-readable,
        // and a crash mid-write never leaves a half key.
        var temp = KeyPath + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        };
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key + "\n");
        }

        File.SetUnixFileMode(temp, OwnerOnly);
        if (!overwrite && File.Exists(KeyPath))
        {
            File.Delete(temp);
            throw new IOException("key exists");
        }

        File.Move(temp, KeyPath, overwrite: true);
        return key;
    }
}
