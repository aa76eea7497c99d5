using System.Runtime.InteropServices;

namespace SentinelX.Node;

/// <summary>The few libc calls the Node needs, source-generated so they stay trim- and AOT-safe.</summary>
internal static partial class Native
{
    public static bool IsRoot() => geteuid() == 0;

    /// <summary>
    /// Fills <paramref name="buffer"/> from the kernel's random source (getrandom(2)). The framework's
    /// RandomNumberGenerator would load OpenSSL for it, which the Node avoids on plain connections.
    /// </summary>
    public static unsafe void FillRandom(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var got = getrandom(start + done, (nuint)(buffer.Length - done), 0);
                if (got > 0) done += (int)got;
                else if (Marshal.GetLastPInvokeError() != EintrErrno) throw new IOException($"getrandom failed (errno {Marshal.GetLastPInvokeError()})");
            }
        }
    }

    /// <summary>Size and used bytes of the file system at <paramref name="mount"/>, or false when statvfs fails.</summary>
    public static bool TryStatVfs(string mount, out long totalBytes, out long usedBytes)
    {
        totalBytes = usedBytes = 0;
        if (statvfs(mount, out var st) != 0) return false;
        var fragment = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
        totalBytes = (long)(st.f_blocks * fragment);
        // Used as df counts it: blocks minus free blocks (reserved-for-root blocks count as used).
        usedBytes = (long)((st.f_blocks - Math.Min(st.f_bfree, st.f_blocks)) * fragment);
        return true;
    }

    /// <summary>
    /// Counts the subdirectories of <paramref name="path"/> whose names are all digits (processes in
    /// /proc). readdir on the raw dirent is ~7x cheaper than FileSystemEnumerable, and this runs every
    /// sample. Returns -1 when the directory cannot be opened.
    /// </summary>
    public static unsafe int CountNumericDirectories(string path)
    {
        var dir = opendir(path);
        if (dir == 0) return -1;
        try
        {
            var count = 0;
            nint entry;
            while ((entry = readdir(dir)) != 0)
            {
                // struct dirent on 64-bit Linux (glibc and musl): u64 d_ino, i64 d_off, u16 d_reclen, u8 d_type, char d_name[].
                var bytes = (byte*)entry;
                if (bytes[18] != DirectoryType) continue;
                var name = bytes + 19;
                if (*name == 0) continue;
                var numeric = true;
                for (var c = name; *c != 0; c++)
                {
                    if (*c is < (byte)'0' or > (byte)'9')
                    {
                        numeric = false;
                        break;
                    }
                }

                if (numeric) count++;
            }

            return count;
        }
        finally
        {
            _ = closedir(dir);
        }
    }

    private const byte DirectoryType = 4; // DT_DIR

    [LibraryImport("libc", SetLastError = true)]
    private static partial uint geteuid();

    private const int EintrErrno = 4;

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint getrandom(byte* buffer, nuint length, uint flags);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint opendir(string name);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint readdir(nint dir);

    [LibraryImport("libc")]
    private static partial int closedir(nint dir);

    [LibraryImport("libc", EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statvfs(string path, out StatVfs buffer);

    /// <summary>
    /// <c>struct statvfs</c> on 64-bit Linux (glibc and musl agree): eleven word-sized fields, then six
    /// reserved ints. The spare tail is generous so a libc that writes more never overruns us.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong f_bsize;
        public ulong f_frsize;
        public ulong f_blocks;
        public ulong f_bfree;
        public ulong f_bavail;
        public ulong f_files;
        public ulong f_ffree;
        public ulong f_favail;
        public ulong f_fsid;
        public ulong f_flag;
        public ulong f_namemax;
        public Spare spare;
    }

    [System.Runtime.CompilerServices.InlineArray(16)]
    private struct Spare
    {
        private ulong _element;
    }
}
