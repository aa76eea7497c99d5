using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// The web terminal (<c>shell.open</c>): a login shell on a PTY, bridged to a data stream. Binary
/// frames are terminal bytes both ways; text frames from the Core are <see cref="ShellControl"/>
/// messages. When the shell exits the Node closes the stream normally with "exit N" or "signal N".
/// </summary>
internal sealed class ShellFeature : INodeFeature
{
    private readonly ConcurrentDictionary<string, PtyProcess> _open = new(StringComparer.Ordinal);

    public void Register(JsonRpcMethods methods, SessionContext session) =>
        methods.OnRequest(Methods.ShellOpen, ProtocolJsonContext.Default.ShellOpenParams, ProtocolJsonContext.Default.ShellOpenResult, (p, ct) =>
        {
            session.Demand(Capabilities.Shell);
            if (string.IsNullOrWhiteSpace(p.SessionId) || string.IsNullOrWhiteSpace(p.StreamId))
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "sessionId and streamId are required");
            if (_open.ContainsKey(p.SessionId))
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"terminal {p.SessionId} is already open");

            var launch = ShellLaunch.For(p.RunAs);
            var (cols, rows) = ShellLimits.Clamp(p.Cols, p.Rows);
            var pty = PtyProcess.Start(launch.Path, launch.Argv, launch.Environment, cols, rows, launch.Home);
            _open[p.SessionId] = pty;
            Log.Info($"terminal {p.SessionId}: started {launch.Path} (pid {pty.Pid}, {cols}x{rows})");
            _ = RunAsync(p, pty, session);
            return ValueTask.FromResult(new ShellOpenResult { Pid = pty.Pid });
        });

    private async Task RunAsync(ShellOpenParams p, PtyProcess pty, SessionContext session)
    {
        var how = "failed";
        try
        {
            WebSocket socket;
            try
            {
#pragma warning disable CA2000 // disposed by the using block below
                socket = await session.Streams.DialAsync(p.StreamId, session.Closed);
#pragma warning restore CA2000
            }
            catch (Exception ex)
            {
                Log.Warn($"terminal {p.SessionId}: cannot open its data stream", ex);
                await ShellBridge.HangUpAsync(pty, ShellBridge.ReapAsync(pty));
                return;
            }

            using (socket)
            {
                how = await new ShellBridge(pty, socket).RunAsync(session.Closed);
            }
        }
        finally
        {
            _open.TryRemove(p.SessionId, out _);
            pty.Dispose();
            Log.Info($"terminal {p.SessionId}: closed ({how})");
        }
    }
}

/// <summary>Copies bytes between one PTY and one data stream until either side ends.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The PTY reader thread may still wait on _credits after RunAsync returns; its wait handle is never requested, so there is nothing to release.")]
internal sealed class ShellBridge(PtyProcess pty, WebSocket socket)
{
    private const int ChunkBytes = 16 * 1024;

    /// <summary>Chunks read but not yet sent: the PTY reader stops reading when the stream is slow.</summary>
    private const int MaxQueuedChunks = 8;

    private static readonly TimeSpan HangUpGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(1);

    private readonly Channel<(byte[] Buffer, int Length)> _output = Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _credits = new(MaxQueuedChunks, MaxQueuedChunks);
    private volatile bool _stopReading;

    /// <summary>Runs the terminal; returns how it ended ("exit 0", "signal 9", "closed by core").</summary>
    public async Task<string> RunAsync(CancellationToken ct)
    {
        var exit = ReapAsync(pty);
        var reader = new Thread(ReadLoop) { IsBackground = true, Name = "pty-read" };
        reader.Start();
        var readerDone = _output.Reader.Completion;

        // Receiving is never cancelled except when the Node's session ends: cancelling a pending
        // receive aborts the WebSocket, and the stream should end with a proper close handshake.
        var send = SendLoopAsync();
        var receive = ReceiveLoopAsync(ct);

        // The shell exiting ends the terminal; so does the Core closing the stream.
        var first = await Task.WhenAny(exit, receive);
        string how;
        if (first == exit)
        {
            how = await exit;
            // Whatever the shell printed last is still in the PTY: let the reader drain it, then hang
            // up anything the shell left running on the terminal.
            await Task.WhenAny(send, Task.Delay(DrainGrace, CancellationToken.None));
            pty.SignalSession(PtyProcess.SigHup);
        }
        else
        {
            how = ct.IsCancellationRequested ? "node session ended" : "closed by core";
            await HangUpAsync(pty, exit);
        }

        _stopReading = true;
        await readerDone.ContinueWith(_ => { }, TaskScheduler.Default);
        reader.Join();
        // A Core that stopped reading must not hold the terminal open; disposing the socket ends the send.
        await Task.WhenAny(send, Task.Delay(DrainGrace, CancellationToken.None));
        await CloseAsync(first == exit ? how : "closed");
        // The Core answers the close; wait for it so the stream ends cleanly on both sides.
        await Task.WhenAny(receive, Task.Delay(DrainGrace, CancellationToken.None));
        return how;
    }

    /// <summary>Hangs up like a closed terminal: SIGHUP to the session, SIGKILL to what survives it.</summary>
    public static async Task HangUpAsync(PtyProcess pty, Task<string> exit)
    {
        pty.SignalSession(PtyProcess.SigHup);
        if (await Task.WhenAny(exit, Task.Delay(HangUpGrace)) != exit) pty.SignalSession(PtyProcess.SigKill);
        await exit;
    }

    /// <summary>waitpid on its own thread: it blocks, and the runtime's reaper ignores children it did not start.</summary>
    public static Task<string> ReapAsync(PtyProcess pty)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() => done.TrySetResult(pty.WaitForExit())) { IsBackground = true, Name = "pty-wait" }.Start();
        return done.Task;
    }

    private void ReadLoop()
    {
        try
        {
            while (!_stopReading)
            {
                if (!_credits.Wait(200)) continue;
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                int n;
                // Poll with a timeout so a stop request is seen even when nothing is printed.
                while ((n = pty.Read(buffer, 200)) == 0 && !_stopReading)
                {
                }

                if (n <= 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                _output.Writer.TryWrite((buffer, n));
            }
        }
        finally
        {
            _output.Writer.TryComplete();
        }
    }

    private async Task SendLoopAsync()
    {
        await foreach (var (buffer, length) in _output.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Binary, true, CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The stream is gone: keep draining so the reader is never stuck waiting for credit.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                _credits.Release();
            }
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        var text = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                if (result.MessageType == WebSocketMessageType.Close) return;
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    pty.Write(buffer.AsSpan(0, result.Count));
                    continue;
                }

                if (text.WrittenCount + result.Count > ChunkBytes) return; // no control message is this big
                text.Write(buffer.AsSpan(0, result.Count));
                if (!result.EndOfMessage) continue;
                Control(text.WrittenSpan);
                text.ResetWrittenCount();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Control(ReadOnlySpan<byte> json)
    {
        ShellControl? message;
        try
        {
            message = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.ShellControl);
        }
        catch (JsonException)
        {
            return;
        }

        if (message is { Type: ShellControl.Resize })
        {
            var (cols, rows) = ShellLimits.Clamp(message.Cols, message.Rows);
            pty.Resize(cols, rows);
        }
    }

    private async Task CloseAsync(string description)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, description, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }
}
