using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Net.WebSockets;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// One command: <c>/bin/sh -c</c> started through <c>setsid</c>, so the shell leads its own session
/// and process group and every child it forks can be signalled at once. Output is forwarded as
/// <see cref="Methods.ExecOutput"/> chunks (at most <see cref="ExecLimits.MaxOutputBytes"/> per
/// stream, the rest is drained so the process never blocks on a full pipe), then one
/// <see cref="Methods.ExecExit"/>.
/// </summary>
internal sealed class ExecProcess : IDisposable
{
    /// <summary>After the shell exits, how long its leftovers may still write before the group is ended.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(1);

    /// <summary>Pipes held open by something that left the group (a daemon that called setsid) are cut after this.</summary>
    private static readonly TimeSpan ReaderGrace = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly ExecStartParams _request;
    private readonly Stopwatch _clock;
    private readonly CancellationTokenSource _stop = new();
    private volatile string? _stopStatus;
    private volatile bool _truncated;

    private ExecProcess(Process process, ExecStartParams request, Stopwatch clock)
    {
        _process = process;
        _request = request;
        _clock = clock;
        Pid = process.Id;
    }

    public int Pid { get; }

    public string RunId => _request.RunId;

    /// <summary>Starts the shell or throws a <see cref="JsonRpcException"/> the Core shows as is.</summary>
    public static ExecProcess Start(ExecStartParams request, UserAccount? user, string workingDirectory)
    {
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (user is not null)
        {
            // setpriv execs in place (runuser/su fork and start a session of their own), so the
            // shell stays the group leader that timeout and cancel signal.
            start.ArgumentList.Add("setpriv");
            start.ArgumentList.Add($"--reuid={user.Uid}");
            start.ArgumentList.Add($"--regid={user.Gid}");
            start.ArgumentList.Add("--init-groups");
            start.ArgumentList.Add("--");
            start.Environment["HOME"] = user.Home;
            start.Environment["USER"] = user.Name;
            start.Environment["LOGNAME"] = user.Name;
        }

        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(request.Command);

        // The agent's own settings (an enrollment key among them) are not the command's business.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SENTINELX_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        foreach (var (name, value) in request.Env ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, "the shell did not start");
        }
        catch (Win32Exception ex)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"the shell did not start: {ex.Message}");
        }

        // stdin is empty: nothing interactive can wait for input that never comes.
        process.StandardInput.Close();
        return new ExecProcess(process, request, clock);
    }

    /// <summary>Asks the run to stop with <paramref name="status"/> (cancelled, or failed when the session ended); false if it already ended.</summary>
    public bool Stop(string status)
    {
        if (_stop.IsCancellationRequested) return false;
        _stopStatus ??= status;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        return true;
    }

    /// <summary>Forwards output until the run ends, then sends its exit. Never throws.</summary>
    public async Task RunAsync(JsonRpcPeer peer)
    {
        _stop.CancelAfter(TimeSpan.FromSeconds(_request.TimeoutSeconds));
        var stdout = PumpAsync(peer, _process.StandardOutput.BaseStream, "stdout");
        var stderr = PumpAsync(peer, _process.StandardError.BaseStream, "stderr");
        string status;
        string? error = null;
        try
        {
            await _process.WaitForExitAsync(_stop.Token);
            status = ExecStatuses.Exited;
            // Let a child that outlived the shell flush, then end whatever is left of the group.
            await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(DrainGrace));
            if (ExecNative.GroupAlive(Pid)) await KillGroupAsync();
        }
        catch (OperationCanceledException)
        {
            status = _stopStatus ?? ExecStatuses.Timeout;
            if (status == ExecStatuses.Failed) error = "the connection to the Core closed";
            await KillGroupAsync();
        }

        var duration = _clock.ElapsedMilliseconds;
        var pumps = Task.WhenAll(stdout, stderr);
        if (await Task.WhenAny(pumps, Task.Delay(ReaderGrace)) != pumps)
        {
            // Something outside the group still holds a pipe; stop reading so the run can end.
            _process.StandardOutput.Close();
            _process.StandardError.Close();
        }

        int? exitCode = _process.HasExited ? _process.ExitCode : null;
        var signal = exitCode > 128 && status != ExecStatuses.Exited ? exitCode - 128 : null;
        var exit = new ExecExit
        {
            RunId = _request.RunId,
            Status = status,
            ExitCode = exitCode,
            Signal = signal,
            DurationMs = duration,
            Truncated = _truncated,
            Error = error,
        };
        try
        {
            await peer.NotifyAsync(Methods.ExecExit, exit, ProtocolJsonContext.Default.ExecExit, CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The Core is gone; it records the run as failed when the session drops.
        }
    }

    /// <summary>SIGTERM to the whole group, SIGKILL to what is left after the grace period.</summary>
    private async Task KillGroupAsync()
    {
        if (!ExecNative.KillGroup(Pid, ExecNative.SigTerm))
        {
            // setsid may not have run yet (a stop right after the start): the shell is still in our group.
            ExecNative.Kill(Pid, ExecNative.SigTerm);
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ExecLimits.KillGrace && (ExecNative.GroupAlive(Pid) || !_process.HasExited))
            await Task.Delay(50);
        ExecNative.KillGroup(Pid, ExecNative.SigKill);
        if (!_process.HasExited) ExecNative.Kill(Pid, ExecNative.SigKill);
        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(ExecLimits.KillGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task PumpAsync(JsonRpcPeer peer, Stream source, string name)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ExecLimits.MaxChunkBytes);
        var forwarded = 0;
        var connected = true;
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, ExecLimits.MaxChunkBytes));
                if (read == 0) break;
                var keep = Math.Min(read, ExecLimits.MaxOutputBytes - forwarded);
                if (keep < read) _truncated = true;
                if (keep <= 0 || !connected) continue;
                forwarded += keep;
                try
                {
                    await peer.NotifyAsync(Methods.ExecOutput, new ExecOutput { RunId = _request.RunId, Stream = name, Data = buffer[..keep] },
                        ProtocolJsonContext.Default.ExecOutput, CancellationToken.None);
                }
                catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
                {
                    connected = false; // keep draining so the process is not blocked on a full pipe
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The pipe was closed under us (see ReaderGrace).
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _process.Dispose();
    }
}
