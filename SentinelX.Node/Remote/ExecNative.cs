using System.Runtime.InteropServices;

namespace SentinelX.Node.Remote;

/// <summary>The libc calls exec needs: signal a process group, look a user up (NSS included).</summary>
internal static partial class ExecNative
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Signals every process in group <paramref name="pgid"/>; false when none is left.</summary>
    public static bool KillGroup(int pgid, int signal) => pgid > 1 && kill(-pgid, signal) == 0;

    /// <summary>Signals one process.</summary>
    public static bool Kill(int pid, int signal) => pid > 1 && kill(pid, signal) == 0;

    /// <summary>True while any process of group <paramref name="pgid"/> exists (signal 0 only checks).</summary>
    public static bool GroupAlive(int pgid) => pgid > 1 && kill(-pgid, 0) == 0;

    /// <summary>The account <paramref name="name"/> as the system resolves it, or null when there is none.</summary>
    public static unsafe UserAccount? FindUser(string name)
    {
        var entry = (Passwd*)getpwnam(name);
        if (entry is null) return null;
        return new UserAccount(
            Marshal.PtrToStringUTF8(entry->pw_name) ?? name,
            entry->pw_uid,
            entry->pw_gid,
            Marshal.PtrToStringUTF8(entry->pw_dir) ?? "/");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint getpwnam(string name);

    /// <summary><c>struct passwd</c> on 64-bit Linux (glibc and musl agree).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public nint pw_name;
        public nint pw_passwd;
        public uint pw_uid;
        public uint pw_gid;
        public nint pw_gecos;
        public nint pw_dir;
        public nint pw_shell;
    }
}

/// <summary>A resolved account to run a command as.</summary>
internal sealed record UserAccount(string Name, uint Uid, uint Gid, string Home);
