using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace SentinelX.E2E.Infrastructure;

/// <summary>A child process whose output is kept for assertions and failure messages.</summary>
public sealed partial class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ManagedProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static ManagedProcess Start(string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (env is not null)
        {
            foreach (var (k, v) in env) info.Environment[k] = v;
        }

        var process = new Process { StartInfo = info };
        var managed = new ManagedProcess(process);
        process.OutputDataReceived += (_, e) => managed.Append(e.Data);
        process.ErrorDataReceived += (_, e) => managed.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>Runs a command to its end (at most <paramref name="timeout"/>, default 2 minutes) and returns its exit code and output.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends a POSIX signal (SIGTERM 15, SIGKILL 9, SIGSTOP 19, SIGCONT 18).</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited) _ = Kill(_process.Id, signal);
    }

    /// <summary>SIGTERM, then waits; SIGKILL if it does not exit in time. Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? grace = null)
    {
        if (_process.HasExited) return _process.ExitCode;
        Signal(15);
        using var cts = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        return _process.ExitCode;
    }

    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        Signal(9);
        await _process.WaitForExitAsync();
    }

    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return true;
            await Task.Delay(100);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signal(18); // a stopped process cannot handle SIGTERM
                await StopAsync(TimeSpan.FromSeconds(5));
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
