using System.Diagnostics;
using System.ComponentModel;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>What one firewall command printed and how it ended.</summary>
internal readonly record struct CommandResult(int ExitCode, string Output, string Error)
{
    public bool Ok => ExitCode == 0;

    /// <summary>The first line of stderr (or stdout), which is where nft and iptables say what went wrong.</summary>
    public string Reason
    {
        get
        {
            var text = (Error.Length > 0 ? Error : Output).Trim();
            var line = text.Split('\n', 2)[0].Trim();
            return line.Length > 0 ? line : $"exit code {ExitCode}";
        }
    }
}

/// <summary>
/// Runs the firewall tools, optionally behind a command prefix such as <c>ip netns exec NAME</c>: a
/// process cannot switch its own network namespace per call, so tests (and operators who keep
/// forwarding in a namespace of its own) run every command, and every /proc read, through the prefix.
/// </summary>
internal sealed class KernelCommands(IReadOnlyList<string> prefix)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public IReadOnlyList<string> Prefix { get; } = prefix;

    /// <summary>True when <paramref name="tool"/> is an executable file on PATH (or the usual sbin directories).</summary>
    public static bool IsInstalled(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var dirs = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return dirs.Any(d => File.Exists(Path.Combine(d, tool)));
    }

    public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, string? stdin, CancellationToken ct)
    {
        var all = Prefix.Concat(argv).ToList();
        var start = new ProcessStartInfo(all[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in all.Skip(1)) start.ArgumentList.Add(arg);
        // The tools' messages are parsed and shown to users; keep them untranslated.
        start.Environment["LC_ALL"] = "C";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{all[0]} did not start");
        }
        catch (Win32Exception ex)
        {
            return new CommandResult(127, "", $"{all[0]}: {ex.Message}");
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                if (stdin is not null) await process.StandardInput.WriteAsync(stdin.AsMemory(), timeout.Token);
                process.StandardInput.Close();
                await process.WaitForExitAsync(timeout.Token);
                return new CommandResult(process.ExitCode, await output, await error);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                ct.ThrowIfCancellationRequested();
                return new CommandResult(124, "", $"{all[0]} did not finish within {Timeout.TotalSeconds:0} s");
            }
            catch (IOException ex)
            {
                // The tool exited before reading its script (e.g. a usage error); report what it said.
                await process.WaitForExitAsync(CancellationToken.None);
                var said = await error;
                return new CommandResult(process.ExitCode == 0 ? 1 : process.ExitCode, "", said.Length > 0 ? said : ex.Message);
            }
        }
    }

    public Task<CommandResult> RunAsync(IReadOnlyList<string> argv, CancellationToken ct) => RunAsync(argv, null, ct);

    /// <summary>Reads a /proc file as the namespace the commands run in sees it; null when it does not exist.</summary>
    public async Task<string?> ReadProcFileAsync(string path, CancellationToken ct)
    {
        if (Prefix.Count == 0) return File.Exists(path) ? await File.ReadAllTextAsync(path, ct) : null;
        var result = await RunAsync(["cat", path], ct);
        return result.Ok ? result.Output : null;
    }

    /// <summary>Writes a /proc/sys value in the namespace the commands run in.</summary>
    public async Task<string?> WriteProcFileAsync(string path, string value, CancellationToken ct)
    {
        if (Prefix.Count == 0)
        {
            try
            {
                await File.WriteAllTextAsync(path, value, ct);
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"cannot write {path}: {ex.Message}";
            }
        }

        var result = await RunAsync(["tee", path], value, ct);
        return result.Ok ? null : $"cannot write {path}: {result.Reason}";
    }
}
