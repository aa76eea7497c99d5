using System.Runtime.InteropServices;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// A process on a new pseudo-terminal, started without forking .NET: posix_spawn with
/// POSIX_SPAWN_SETSID makes the child a session leader, and opening the slave (without O_NOCTTY)
/// onto fd 0 then makes it the child's controlling terminal, so job control and Ctrl-C work.
/// The .NET runtime reaps only children it started itself, so <see cref="WaitForExit"/> calls waitpid.
/// </summary>
internal sealed unsafe partial class PtyProcess : IDisposable
{
    public const int SigHup = 1;
    public const int SigKill = 9;

    private int _master;

    private PtyProcess(int master, int pid)
    {
        _master = master;
        Pid = pid;
    }

    /// <summary>The child's pid, which is also its session id and process group id.</summary>
    public int Pid { get; }

    /// <summary>Starts <paramref name="path"/> on a fresh PTY of the given size; throws <see cref="JsonRpcException"/> when it cannot.</summary>
    public static PtyProcess Start(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, ushort cols, ushort rows, string? workingDirectory = null)
    {
        var master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) throw Failed("posix_openpt");
        try
        {
            if (grantpt(master) != 0) throw Failed("grantpt");
            if (unlockpt(master) != 0) throw Failed("unlockpt");
            var name = stackalloc byte[128];
            if (ptsname_r(master, name, 128) != 0) throw Failed("ptsname_r");
            SetSize(master, cols, rows);

            var actions = NativeMemory.AllocZeroed(SpawnStructBytes);
            var attr = NativeMemory.AllocZeroed(SpawnStructBytes);
            var sigset = NativeMemory.AllocZeroed(SigSetBytes);
            var strings = new List<nint>();
            try
            {
                Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
                Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
                // The slave onto fd 0 (it becomes the controlling terminal of the new session), then 1 and 2.
                Check(posix_spawn_file_actions_addopen(actions, 0, name, O_RDWR, 0), "addopen");
                Check(posix_spawn_file_actions_adddup2(actions, 0, 1), "adddup2");
                Check(posix_spawn_file_actions_adddup2(actions, 0, 2), "adddup2");
                if (workingDirectory is not null && Directory.Exists(workingDirectory))
                {
                    // Like an SSH login: the shell starts in the user's home, not in the agent's directory.
                    var dir = Marshal.StringToCoTaskMemUTF8(workingDirectory);
                    strings.Add(dir);
                    Check(posix_spawn_file_actions_addchdir_np(actions, (byte*)dir), "addchdir");
                }

                // The runtime ignores SIGPIPE and installs handlers; an ignored signal stays ignored
                // across exec, so reset the ones a shell relies on to their defaults, and unblock all.
                _ = sigemptyset(sigset);
                foreach (var sig in (ReadOnlySpan<int>)[1, 2, 3, 13, 15, 17, 20, 21, 22]) _ = sigaddset(sigset, sig);
                Check(posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");
                _ = sigemptyset(sigset);
                Check(posix_spawnattr_setsigmask(attr, sigset), "setsigmask");
                Check(posix_spawnattr_setflags(attr, PosixSpawnSetSid | PosixSpawnSetSigDef | PosixSpawnSetSigMask), "setflags");

                var argvp = CStrings(argv, strings);
                var envp = CStrings(env, strings);
                var pathp = Marshal.StringToCoTaskMemUTF8(path);
                strings.Add(pathp);
                int pid;
                var error = posix_spawn(&pid, (byte*)pathp, actions, attr, argvp, envp);
                if (error != 0) throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"cannot start {path}: {Marshal.GetPInvokeErrorMessage(error)}");
                return new PtyProcess(master, pid);
            }
            finally
            {
                _ = posix_spawn_file_actions_destroy(actions);
                _ = posix_spawnattr_destroy(attr);
                NativeMemory.Free(actions);
                NativeMemory.Free(attr);
                NativeMemory.Free(sigset);
                foreach (var p in strings) Marshal.FreeCoTaskMem(p);
            }
        }
        catch
        {
            _ = close(master);
            throw;
        }
    }

    public void Resize(ushort cols, ushort rows) => SetSize(_master, cols, rows);

    /// <summary>
    /// Reads what the terminal printed: the byte count, 0 when nothing arrived within
    /// <paramref name="timeoutMs"/>, or -1 at the end (every process holding the slave is gone).
    /// </summary>
    public int Read(Span<byte> buffer, int timeoutMs)
    {
        var fds = new PollFd { Fd = _master, Events = PollIn };
        var ready = poll(&fds, 1, timeoutMs);
        if (ready < 0) return Marshal.GetLastPInvokeError() == EINTR ? 0 : -1;
        if (ready == 0) return 0;
        fixed (byte* p = buffer)
        {
            while (true)
            {
                var n = read(_master, p, (nuint)buffer.Length);
                if (n > 0) return (int)n;
                if (n < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
                return -1; // EIO once the slave side is closed
            }
        }
    }

    /// <summary>Types <paramref name="data"/> into the terminal; blocks while the PTY's input queue is full.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = write(_master, p + done, (nuint)(data.Length - done));
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR) continue;
                    return; // the terminal is gone; the exit path reports it
                }

                done += (int)n;
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the shell's process group and to every other process still in its session.</summary>
    public void SignalSession(int signal)
    {
        _ = kill(-Pid, signal);
        _ = kill(Pid, signal);
        // Jobs run in their own process groups; find them by session id (field 6 of /proc/PID/stat).
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Pid) continue;
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                }
                catch (IOException)
                {
                    continue;
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }

                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 3 && int.TryParse(fields[3], out var sid) && sid == Pid) _ = kill(pid, signal);
            }
        }
        catch (IOException)
        {
            // /proc not mounted: the group signal above is all we can do.
        }
    }

    /// <summary>Blocks until the child exits; returns "exit N" or "signal N".</summary>
    public string WaitForExit()
    {
        int status;
        while (waitpid(Pid, &status, 0) < 0)
        {
            if (Marshal.GetLastPInvokeError() != EINTR) return "exit unknown";
        }

        return (status & 0x7f) == 0 ? $"exit {(status >> 8) & 0xff}" : $"signal {status & 0x7f}";
    }

    /// <summary>Closes the master; call only once nothing reads or writes it any more.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _master, -1);
        if (fd >= 0) _ = close(fd);
    }

    private static void SetSize(int master, ushort cols, ushort rows)
    {
        var size = new WinSize { Rows = rows, Cols = cols };
        _ = ioctl(master, TIOCSWINSZ, &size);
    }

    private static byte** CStrings(IReadOnlyList<string> values, List<nint> owned)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(nint));
        owned.Add((nint)array);
        for (var i = 0; i < values.Count; i++)
        {
            var s = Marshal.StringToCoTaskMemUTF8(values[i]);
            owned.Add(s);
            array[i] = (byte*)s;
        }

        return array;
    }

    private static void Check(int error, string call)
    {
        if (error != 0) throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"cannot start the shell: {call}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    private static JsonRpcException Failed(string call) =>
        new(JsonRpcErrorCodes.OperationFailed, $"cannot open a terminal: {call}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    // Linux, glibc and musl alike on x86-64 and arm64.
    private const int O_RDWR = 2;
    private const int O_NOCTTY = 0x100;
    private const int O_CLOEXEC = 0x80000;
    private const int EINTR = 4;
    private const short PollIn = 1;
    private const nuint TIOCSWINSZ = 0x5414;
    private const short PosixSpawnSetSigDef = 0x04;
    private const short PosixSpawnSetSigMask = 0x08;
    private const short PosixSpawnSetSid = 0x80;

    // posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on glibc (less on musl);
    // sigset_t is 128. Allocated generously so no libc writes past them.
    private const nuint SpawnStructBytes = 1024;
    private const nuint SigSetBytes = 256;

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Cols;
        public ushort XPixel;
        public ushort YPixel;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    public static uint EffectiveUid() => geteuid();

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int posix_openpt(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int grantpt(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unlockpt(int fd);

    [LibraryImport("libc")]
    private static partial int ptsname_r(int fd, byte* buffer, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, WinSize* size);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc")]
    private static partial int sigemptyset(void* set);

    [LibraryImport("libc")]
    private static partial int sigaddset(void* set, int signal);

    [LibraryImport("libc")]
    private static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    // glibc 2.29+ and musl 1.1.24+.
    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigdefault(void* attr, void* set);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(void* attr, void* set);
}
