using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

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
/// The libc calls file operations need that .NET does not expose: descriptor-relative opens that
/// never follow a link (openat2), the *at calls that act on a name inside an open directory, and
/// statx (same layout on every 64-bit Linux, unlike struct stat). Every call reports errno.
/// </summary>
internal static partial class FilesNative
{
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int EXDEV = 18;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ENOSYS = 38;
    public const int ENOTEMPTY = 39;
    public const int ELOOP = 40;
    public const int EPERM = 1;

    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int ONoctty = 0x100;
    public const int ONonblock = 0x800;
    public const int OPath = 0x200000;
    private const int OCloexec = 0x80000;

    // O_DIRECTORY and O_NOFOLLOW are the two open flags whose values differ between x86-64 and arm64.
    private static readonly bool ArmFlags = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;
    public static readonly int ODirectory = ArmFlags ? 0x4000 : 0x10000;
    public static readonly int ONofollow = ArmFlags ? 0x8000 : 0x20000;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtRemoveDir = 0x200;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7FF;
    private const ulong ResolveNoSymlinks = 0x04;
    private const ulong ResolveBeneath = 0x08;
    private const uint RenameNoReplace = 1;

    // New system calls share one number on every architecture; renameat2 predates that.
    private const long SysOpenat2 = 437;
    private static readonly long SysRenameat2 = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 => 276,
        Architecture.Arm => 382,
        Architecture.X86 => 353,
        _ => 316, // x86-64
    };

    /// <summary>Set once openat2 answered ENOSYS (kernels before 5.6, some seccomp filters): walk component by component from then on.</summary>
    private static volatile bool s_openat2Missing;

    /// <summary>Opens a configured root itself (an owner's choice, so a link there is followed) as a directory handle.</summary>
    public static SafeFileHandle OpenRoot(string root, out int errno) =>
        Wrap(open(root, OPath | ODirectory | OCloexec, 0), out errno);

    /// <summary>
    /// Opens <paramref name="relative"/> (no leading slash, no <c>.</c>/<c>..</c>; empty is the root)
    /// beneath <paramref name="root"/>, refusing any symlink on the way or at the end (ELOOP) and any
    /// escape (EXDEV). <paramref name="walk"/> forces the component walk that stands in for openat2.
    /// </summary>
    public static SafeFileHandle OpenBeneath(SafeFileHandle root, string relative, int flags, uint mode, bool walk, out int errno)
    {
        flags |= OCloexec;
        if (relative.Length == 0) relative = ".";
        if (!walk && !s_openat2Missing)
        {
            var how = new OpenHow
            {
                Flags = (ulong)flags,
                Mode = (flags & OCreat) != 0 ? mode : 0,
                Resolve = ResolveBeneath | ResolveNoSymlinks,
            };
            for (var attempt = 0; ; attempt++)
            {
                var fd = (int)syscall(SysOpenat2, (int)root.DangerousGetHandle(), relative, ref how, (nuint)Marshal.SizeOf<OpenHow>());
                var handle = Wrap(fd, out errno);
                // EAGAIN: a rename elsewhere raced the lookup; the kernel asks to retry.
                if (!handle.IsInvalid || errno is not (EAGAIN or EINTR) || attempt == 8)
                {
                    if (handle.IsInvalid && errno == ENOSYS)
                    {
                        handle.Dispose();
                        s_openat2Missing = true;
                        break;
                    }

                    return handle;
                }

                handle.Dispose();
            }
        }

        return Walk(root, relative, flags, mode, out errno);
    }

    /// <summary>The openat2 stand-in: every component opened relative to the previous one with O_NOFOLLOW.</summary>
    private static SafeFileHandle Walk(SafeFileHandle root, string relative, int flags, uint mode, out int errno)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        try
        {
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (parts[i] is "." or "..")
                {
                    errno = EXDEV;
                    return new SafeFileHandle();
                }

#pragma warning disable CA2000 // returned, or it becomes current, which the next step or the finally below disposes
                var next = Wrap(openat(current, parts[i], OPath | ODirectory | ONofollow | OCloexec, 0), out errno);
#pragma warning restore CA2000
                if (next.IsInvalid)
                {
                    // O_DIRECTORY|O_NOFOLLOW on a link says ENOTDIR; say what it really is.
                    if (errno == ENOTDIR && TryStatAt(current, parts[i], out var stat, out _) && stat.IsSymlink) errno = ELOOP;
                    return next;
                }

                if (!ReferenceEquals(current, root)) current.Dispose();
                current = next;
            }

            var last = parts.Length == 0 ? "." : parts[^1];
            if (last == "..")
            {
                errno = EXDEV;
                return new SafeFileHandle();
            }

            var handle = Wrap(openat(current, last, flags | ONofollow, (flags & OCreat) != 0 ? mode : 0), out errno);
            // O_PATH|O_NOFOLLOW hands back the link itself rather than failing: refuse it here.
            if (!handle.IsInvalid && (flags & OPath) != 0 && TryFstat(handle, out var opened, out _) && opened.IsSymlink)
            {
                handle.Dispose();
                errno = ELOOP;
                return new SafeFileHandle();
            }

            return handle;
        }
        finally
        {
            if (!ReferenceEquals(current, root)) current.Dispose();
        }
    }

    /// <summary>openat of one name inside an open directory; pass O_NOFOLLOW to refuse a link there.</summary>
    public static SafeFileHandle OpenAt(SafeFileHandle directory, string name, int flags, out int errno, uint mode = 0) =>
        Wrap(openat(directory, name, flags | OCloexec, mode), out errno);

    /// <summary>fstat on an open descriptor.</summary>
    public static bool TryFstat(SafeFileHandle handle, out FileStat stat, out int errno) =>
        Stat(statx((int)handle.DangerousGetHandle(), "", AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, out var buffer), buffer, out stat, out errno);

    /// <summary>fstatat without following: what the name <paramref name="name"/> in the directory is.</summary>
    public static bool TryStatAt(SafeFileHandle directory, string name, out FileStat stat, out int errno) =>
        Stat(statx((int)directory.DangerousGetHandle(), name, AtSymlinkNoFollow, StatxBasicStats, out var buffer), buffer, out stat, out errno);

    /// <summary>lstat by path, for callers outside the file operations.</summary>
    public static bool TryLstat(string path, out FileStat stat, out int errno) =>
        Stat(statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var buffer), buffer, out stat, out errno);

    private static bool Stat(int result, Statx buffer, out FileStat stat, out int errno)
    {
        if (result != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            stat = default;
            return false;
        }

        errno = 0;
        stat = new FileStat(buffer.Mode, buffer.Uid, buffer.Gid, (long)buffer.Size, buffer.MtimeSec * 1000 + buffer.MtimeNsec / 1_000_000);
        return true;
    }

    /// <summary>
    /// chmod of exactly the inode <paramref name="handle"/> holds (an O_PATH descriptor, which
    /// fchmod refuses): through its /proc/self/fd entry, as glibc's own fchmodat does.
    /// </summary>
    public static int ChmodHandle(SafeFileHandle handle, uint mode) =>
        chmod($"/proc/self/fd/{(int)handle.DangerousGetHandle()}", mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int MkdirAt(SafeFileHandle directory, string name, uint mode) =>
        mkdirat(directory, name, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int UnlinkAt(SafeFileHandle directory, string name, bool isDirectory) =>
        unlinkat(directory, name, isDirectory ? AtRemoveDir : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>renameat; with <paramref name="noReplace"/> an existing destination is EEXIST, decided atomically by the kernel.</summary>
    public static int RenameAt(SafeFileHandle fromDirectory, string from, SafeFileHandle toDirectory, string to, bool noReplace) =>
        syscall(SysRenameat2, (int)fromDirectory.DangerousGetHandle(), from, (int)toDirectory.DangerousGetHandle(), to, noReplace ? RenameNoReplace : 0) == 0
            ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Where the link <paramref name="name"/> points, as stored; null when it cannot be read.</summary>
    public static unsafe string? ReadLinkAt(SafeFileHandle directory, string name)
    {
        var buffer = stackalloc byte[4096];
        var length = readlinkat(directory, name, buffer, 4096);
        return length < 0 ? null : Encoding.UTF8.GetString(buffer, (int)length);
    }

    /// <summary>The names in an open directory (not <c>.</c> and <c>..</c>), read through a duplicate of its descriptor.</summary>
    public static unsafe List<string> ReadDirectory(SafeFileHandle directory, int limit, out int errno)
    {
        var names = new List<string>();
        var copy = dup((int)directory.DangerousGetHandle());
        var dir = copy < 0 ? 0 : fdopendir(copy);
        if (dir == 0)
        {
            errno = Marshal.GetLastPInvokeError();
            if (copy >= 0) _ = close(copy);
            return names;
        }

        try
        {
            nint entry;
            while (names.Count < limit && (entry = readdir(dir)) != 0)
            {
                // struct dirent on 64-bit Linux (glibc and musl): u64 d_ino, i64 d_off, u16 d_reclen, u8 d_type, char d_name[].
                var name = Marshal.PtrToStringUTF8(entry + 19)!;
                if (name is not ("." or "..")) names.Add(name);
            }

            errno = 0;
            return names;
        }
        finally
        {
            _ = closedir(dir);
        }
    }

    private static SafeFileHandle Wrap(long fd, out int errno)
    {
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return new SafeFileHandle();
        }

        errno = 0;
        return new SafeFileHandle((nint)fd, ownsHandle: true);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, out Statx buffer);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, uint mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int openat(SafeFileHandle dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long syscall(long number, int dirfd, string path, ref OpenHow how, nuint size);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial long syscall(long number, int fromDirfd, string from, int toDirfd, string to, uint flags);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkdirat(SafeFileHandle dirfd, string path, uint mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int unlinkat(SafeFileHandle dirfd, string path, int flags);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial nint readlinkat(SafeFileHandle dirfd, string path, byte* buffer, nint size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint fdopendir(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readdir(nint dir);

    [LibraryImport("libc")]
    private static partial int closedir(nint dir);

    /// <summary><c>struct open_how</c> (linux/openat2.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

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
