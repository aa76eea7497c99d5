using System.Runtime.InteropServices;

namespace SentinelX.Shared.Storage;

/// <summary>
/// A data directory only its owner can read: the Core's holds the database (TOTP seeds, recovery
/// codes, hop secrets, exec output) and keys, a Node's holds its secret. Both processes create it
/// 0700 and take group and world bits off anything an older version left readable.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static partial class PrivateDirectory
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupAndOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// From now on every file and directory this process creates is owner-only (umask 077). For the
    /// Core, whose files are all its own; not for a Node, which creates files for operators.
    /// </summary>
    public static void RestrictUmask() => _ = umask(0x3F);

    /// <summary>Creates <paramref name="directory"/> 0700 and tightens what is in it; returns the paths it had to tighten.</summary>
    public static IReadOnlyList<string> Prepare(string directory)
    {
        Directory.CreateDirectory(directory, DirectoryMode);
        return Tighten(directory);
    }

    /// <summary>
    /// Takes group and world bits off <paramref name="directory"/> and everything beneath it. Links
    /// are skipped, never followed: what they point to is not this directory's to change.
    /// </summary>
    public static IReadOnlyList<string> Tighten(string directory)
    {
        var tightened = new List<string>();
        TightenEntry(new DirectoryInfo(directory), tightened);
        return tightened;
    }

    private static void TightenEntry(FileSystemInfo entry, List<string> tightened)
    {
        if (entry.LinkTarget is not null) return;
        var mode = entry.UnixFileMode;
        if ((mode & GroupAndOther) != 0)
        {
            entry.UnixFileMode = mode & ~GroupAndOther;
            tightened.Add(entry.FullName);
        }

        if (entry is DirectoryInfo directory)
        {
            foreach (var child in directory.EnumerateFileSystemInfos())
                TightenEntry(child, tightened);
        }
    }

    [LibraryImport("libc")]
    private static partial uint umask(uint mask);
}
