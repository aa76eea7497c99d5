using System.Runtime.InteropServices;

namespace SentinelX.Node;

/// <summary>The few libc calls the Node needs, source-generated so they stay trim- and AOT-safe.</summary>
internal static partial class Native
{
    public static bool IsRoot() => geteuid() == 0;

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

    [LibraryImport("libc", SetLastError = true)]
    private static partial uint geteuid();

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
