using System.Buffers;
using System.Net.WebSockets;

namespace SentinelX.App.Features.Terminal;

/// <summary>
/// Copies one browser terminal to one Node shell stream and back, message by message (binary
/// keystrokes and output, text resize messages to the Node), until either side closes, the user
/// signs out, or no key is pressed for the idle timeout. The Node's close description
/// ("exit 0") is passed on to the browser.
/// </summary>
internal sealed partial class TerminalBridge(WebSocket browser, WebSocket node, TerminalSession session, TimeSpan idleTimeout, ILogger logger)
{
    private const int BufferBytes = 16 * 1024;
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>Copies until the terminal ends; returns how it ended, for the audit log.</summary>
    public async Task<string> RunAsync(CancellationToken aborted)
    {
        using var idle = new CancellationTokenSource(idleTimeout);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(session.Ending, idle.Token);
        // Receives are cancelled only when the browser's request is aborted: cancelling a pending
        // receive aborts the WebSocket, and every other end closes both sockets with a handshake.
        var input = PumpAsync(browser, node, idle, aborted);
        var output = PumpAsync(node, browser, null, aborted);
        var ended = Task.Delay(Timeout.Infinite, ending.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        var first = await Task.WhenAny(input, output, ended);
        if (first == ended && idle.IsCancellationRequested) session.End(TerminalSessions.IdleTimeout);

        string how;
        if (first == ended && session.EndReason is { } reason)
        {
            how = reason;
            await CloseAsync(node, "closed");
            await CloseAsync(browser, reason);
        }
        else if (first == output)
        {
            // The Node ended it: the shell exited ("exit 0"), or the Node's session went away.
            var normal = node.CloseStatus == WebSocketCloseStatus.NormalClosure;
            how = normal ? node.CloseStatusDescription ?? "exit" : "node disconnected";
            await CloseAsync(node, "closed");
            await CloseAsync(browser, how, normal ? WebSocketCloseStatus.NormalClosure : WebSocketCloseStatus.EndpointUnavailable);
        }
        else
        {
            how = aborted.IsCancellationRequested ? "browser disconnected" : "closed by user";
            await CloseAsync(browser, "closed");
            await CloseAsync(node, "closed");
        }

        // Each pump ends when its side answers the close; one that does not in time is cut off.
        var both = Task.WhenAll(input, output);
        if (await Task.WhenAny(both, Task.Delay(CloseGrace, CancellationToken.None)) != both)
        {
            browser.Abort();
            node.Abort();
        }

        await both;
        LogEnded(logger, session.Id, session.NodeId, how);
        return how;
    }

    /// <summary>Copies messages from <paramref name="from"/> to <paramref name="to"/>; returns when <paramref name="from"/> closes or fails.</summary>
    private async Task PumpAsync(WebSocket from, WebSocket to, CancellationTokenSource? idle, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            while (true)
            {
                var result = await from.ReceiveAsync(buffer.AsMemory(), ct);
                if (result.MessageType == WebSocketMessageType.Close) return;
                // Input restarts the idle clock; output alone (a `tail -f`) does not keep a terminal open.
                idle?.CancelAfter(idleTimeout);
                if (to.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) continue;
                try
                {
                    await to.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, ct);
                }
                catch (WebSocketException)
                {
                    // The other side is gone; keep reading until this side's close arrives.
                }
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

    private static async Task CloseAsync(WebSocket socket, string description, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.CloseOutputAsync(status, description, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "terminal {SessionId} on node {NodeId} ended: {How}")]
    private static partial void LogEnded(ILogger logger, string sessionId, string nodeId, string how);
}
