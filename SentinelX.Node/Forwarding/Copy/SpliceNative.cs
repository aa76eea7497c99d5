using System.Runtime.InteropServices;

namespace SentinelX.Node.Forwarding.Copy;

/// <summary>The libc calls of the zero-copy path, source-generated so they stay trim- and AOT-safe.</summary>
internal static partial class SpliceNative
{
    public const uint SpliceMove = 1;
    public const uint SpliceMore = 4;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    private const int OCloexec = 0x80000;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonblock = 0x800;
    private const int FSetPipeSz = 1031;

    /// <summary>A pipe of about <paramref name="size"/> bytes; false when the system refuses one.</summary>
    public static unsafe bool TryCreatePipe(int size, out int read, out int write)
    {
        var fds = stackalloc int[2];
        read = write = -1;
        if (pipe2(fds, OCloexec) != 0) return false;
        read = fds[0];
        write = fds[1];
        // A larger pipe means fewer splice calls per megabyte; an unprivileged limit just keeps the default.
        _ = fcntl(write, FSetPipeSz, size);
        return true;
    }

    /// <summary>Puts a socket descriptor in blocking mode, so each direction can run on its own thread without polling.</summary>
    public static bool SetBlocking(nint fd)
    {
        var flags = fcntl((int)fd, FGetFl, 0);
        return flags >= 0 && fcntl((int)fd, FSetFl, flags & ~ONonblock) == 0;
    }

    public static nint Splice(int from, int to, nint length, uint flags) => splice(from, 0, to, 0, length, flags);

    public static void Close(int fd)
    {
        if (fd >= 0) _ = close(fd);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nint length, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
