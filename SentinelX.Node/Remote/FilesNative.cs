using System.Runtime.InteropServices;

namespace SentinelX.Node.Remote;

/// <summary>What <c>statx</c> reports about one path without following a final symlink.</summary>
internal readonly record struct FileStat(uint Mode, uint Uid, uint Gid, long Size, long MtimeMs)
{
    private const uint TypeMask = 0xF000; // S_IFMT

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;
    public bool IsRegular => (Mode & TypeMask) == 0x8000;
    public bool IsSymlink => (Mode & TypeMask) == 0xA000;

    /// <summary>"file", "dir", "symlink" or "other".</summary>
    public string Type => IsRegular ? "file" : IsDirectory ? "dir" : IsSymlink ? "symlink" : "other";

    /// <summary>Permission, setuid/setgid and sticky bits.</summary>
    public uint Permissions => Mode & 0xFFF;
}

/// <summary>
/// The libc calls file operations need that .NET does not expose: owner ids (statx has the same
/// layout on every 64-bit Linux, unlike struct stat) and realpath.
/// </summary>
internal static partial class FilesNative
{
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int ELOOP = 40;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;

    /// <summary>lstat: false (with errno) when the path does not exist or cannot be reached.</summary>
    public static bool TryLstat(string path, out FileStat stat, out int errno)
    {
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            stat = default;
            return false;
        }

        errno = 0;
        stat = new FileStat(buffer.Mode, buffer.Uid, buffer.Gid, (long)buffer.Size, buffer.MtimeSec * 1000 + buffer.MtimeNsec / 1_000_000);
        return true;
    }

    /// <summary>The canonical path with every symlink, <c>.</c> and <c>..</c> resolved; null (with errno) when a component is missing.</summary>
    public static string? RealPath(string path, out int errno)
    {
        var resolved = realpath(path, 0);
        if (resolved == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        try
        {
            errno = 0;
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, out Statx buffer);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint realpath(string path, nint resolved);

    [LibraryImport("libc")]
    private static partial void free(nint pointer);

    /// <summary><c>struct statx</c> (linux/stat.h): fixed layout, 256 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
    }
}
