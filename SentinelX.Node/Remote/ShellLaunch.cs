using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>What to start for a terminal: the program, its arguments, a clean environment and the directory to start in.</summary>
internal sealed record ShellLaunch(string Path, IReadOnlyList<string> Argv, IReadOnlyList<string> Environment, string? Home = null)
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>
    /// The login shell of the Node's own user, or of <paramref name="runAs"/> through runuser/su when
    /// the Node runs as root. Throws <see cref="JsonRpcException"/> for a user that cannot be used.
    /// </summary>
    public static ShellLaunch For(string? runAs, string passwdPath = "/etc/passwd")
    {
        var users = PasswdEntry.ReadAll(passwdPath);
        var me = users.FirstOrDefault(u => u.Uid == PtyProcess.EffectiveUid());
        if (!string.IsNullOrEmpty(runAs) && runAs != me?.Name)
        {
            if (!Native.IsRoot())
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"cannot run a terminal as {runAs}: the node does not run as root");
            if (users.All(u => u.Name != runAs))
                throw new JsonRpcException(JsonRpcErrorCodes.NotFound, $"no user {runAs} on this server");
            // runuser (or su) -l starts the target's login shell with its own environment; without
            // --pty neither starts a new session, so the shell keeps our PTY as its terminal.
            var switcher = File.Exists("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/bin/su";
            return new ShellLaunch(switcher, [switcher, "-l", runAs], BaseEnvironment(null));
        }

        var shell = new[] { me?.Shell, "/bin/bash", "/bin/sh" }
            .First(s => !string.IsNullOrEmpty(s) && File.Exists(s) && !s.EndsWith("/nologin", StringComparison.Ordinal) && !s.EndsWith("/false", StringComparison.Ordinal))!;
        return new ShellLaunch(shell, ["-" + System.IO.Path.GetFileName(shell)], BaseEnvironment(me, shell),
            me?.Home ?? System.Environment.GetEnvironmentVariable("HOME"));
    }

    private static List<string> BaseEnvironment(PasswdEntry? user, string? shell = null)
    {
        var env = new List<string> { "TERM=xterm-256color", "COLORTERM=truecolor", "LANG=" + Utf8Locale() };
        env.Add("PATH=" + (System.Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : DefaultPath));
        var name = user?.Name ?? System.Environment.GetEnvironmentVariable("USER");
        var home = user?.Home ?? System.Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(name))
        {
            env.Add("USER=" + name);
            env.Add("LOGNAME=" + name);
        }

        if (!string.IsNullOrEmpty(home)) env.Add("HOME=" + home);
        if (shell is not null) env.Add("SHELL=" + shell);
        return env;
    }

    /// <summary>The Node's own locale when it is UTF-8, else C.UTF-8 (in every glibc since 2.35 and in musl).</summary>
    private static string Utf8Locale()
    {
        foreach (var variable in (ReadOnlySpan<string>)["LC_ALL", "LANG"])
        {
            var value = System.Environment.GetEnvironmentVariable(variable);
            if (value is { Length: > 0 } && (value.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || value.Contains("utf8", StringComparison.OrdinalIgnoreCase)))
                return value;
        }

        return "C.UTF-8";
    }
}

/// <summary>One line of /etc/passwd.</summary>
internal sealed record PasswdEntry(string Name, uint Uid, string Home, string Shell)
{
    public static List<PasswdEntry> ReadAll(string path)
    {
        var entries = new List<PasswdEntry>();
        if (!File.Exists(path)) return entries;
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split(':');
            if (f.Length >= 7 && uint.TryParse(f[2], out var uid)) entries.Add(new PasswdEntry(f[0], uid, f[5], f[6]));
        }

        return entries;
    }
}
