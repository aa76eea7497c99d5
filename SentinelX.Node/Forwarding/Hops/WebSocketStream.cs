using System.Net.WebSockets;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>
/// A WebSocket as a byte stream, so the forwarding engine treats ws hops like any other: each write
/// is one binary message, reads run across message boundaries, 0 means the peer closed, and
/// disposing sends the close frame and releases the transport.
/// </summary>
internal sealed class WebSocketStream(WebSocket socket, Stream transport) : Stream
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private bool _closeReceived;
    private int _disposed;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_closeReceived)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
            }
            catch (WebSocketException ex)
            {
                throw new IOException(ex.Message, ex);
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                _closeReceived = true;
                return 0;
            }

            // An empty message is not the end of the stream; a zero-byte read (waiting for data
            // before renting a buffer) is answered as soon as a frame arrives.
            if (result.Count > 0 || buffer.IsEmpty) return result.Count;
        }

        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return;
        try
        {
            await socket.SendAsync(buffer, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
        catch (WebSocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// Half-closes: sends the close frame but keeps reading, as <c>shutdown(SHUT_WR)</c> does on a
    /// socket. The peer reads the end of the stream and may go on sending (a WebSocket in
    /// CloseReceived state can still send) until it closes its side too.
    /// </summary>
    public async Task ShutdownWriteAsync()
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (WebSocketException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("a WebSocket hop is read asynchronously");

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("a WebSocket hop is written asynchronously");

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                // The close frame tells the peer this is a clean end, not a dropped hop; a peer that
                // is already gone must not hold the caller up.
                using var timeout = new CancellationTokenSource(CloseTimeout);
                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
                {
                }
            }

            socket.Dispose();
            await transport.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            socket.Dispose();
            transport.Dispose();
        }

        base.Dispose(disposing);
    }
}
