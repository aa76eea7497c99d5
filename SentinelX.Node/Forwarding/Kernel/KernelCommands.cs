using System.ComponentModel;
using System.Text;
using CliWrap;
using CliWrap.Buffered;

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
internal sealed class KernelCommands(IReadOnlyList<string> prefix, TimeSpan? timeout = null)
{
    /// <summary>How long one command may run before it is killed: nft or iptables waiting on a held xtables lock must not stall the Node.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly TimeSpan _timeout = timeout ?? DefaultTimeout;

    public IReadOnlyList<string> Prefix { get; } = prefix;

    /// <summary>True when <paramref name="tool"/> is an executable file on PATH (or the usual sbin directories).</summary>
    public static bool IsInstalled(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var dirs = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return dirs.Any(d => File.Exists(Path.Combine(d, tool)));
    }

    /// <summary>
    /// Runs <paramref name="argv"/> (behind the prefix) to completion, feeding it <paramref name="stdin"/> when given.
    /// A tool that cannot start is exit code 127 and one that overruns the timeout is killed and reported as 124,
    /// both with the reason in <see cref="CommandResult.Error"/>; only <paramref name="ct"/> itself throws.
    /// </summary>
    public async Task<CommandResult> RunAsync(IReadOnlyList<string> argv, string? stdin, CancellationToken ct)
    {
        var all = Prefix.Concat(argv).ToList();
        var program = all[0];
        var command = Cli.Wrap(program)
            // One list element per argument (CliWrap quotes each one and the runtime splits them back): addresses and comments never pass through a shell.
            .WithArguments(args => args.Add(all.Skip(1)))
            // The tools' messages are parsed and shown to users; keep them untranslated.
            .WithEnvironmentVariables(env => env.Set("LC_ALL", "C"))
            .WithStandardInputPipe(stdin is null ? PipeSource.Null : PipeSource.FromString(stdin, Encoding.UTF8))
            // nft and iptables report failures through exit codes the callers tell apart (e.g. "-C" exits 1 for "no such rule").
            .WithValidation(CommandResultValidation.None);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            var result = await command.ExecuteBufferedAsync(Encoding.UTF8, timeout.Token);
            return new CommandResult(result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (Win32Exception ex)
        {
            // CliWrap wraps the runtime's exception; the inner one says why (usually "No such file or directory").
            return new CommandResult(127, "", $"{program}: {(ex.InnerException ?? ex).Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // CliWrap has killed the process tree by now, so a hung tool cannot hold the forwarding loop.
            return new CommandResult(124, "", $"{program} did not finish within {_timeout.TotalSeconds:0.###} s");
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
