using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace SentinelX.Node.Connection;

/// <summary>
/// The client end of an upgraded WebSocket (RFC 6455 §5) to the Core: the control connection and
/// the data streams. The framework's client masks every frame with
/// <see cref="System.Security.Cryptography.RandomNumberGenerator"/>, which on Linux loads OpenSSL and
/// keeps ~4 MB of it resident for the life of the process, a fifth of the Node's memory on a plain
/// ws:// connection; this one takes its masks from getrandom(2). It reads frames straight into the
/// caller's buffer (no read-ahead) and answers pings; extensions and subprotocols are never offered,
/// so none can be negotiated. Text payloads are JSON and parsed strictly by the caller, so UTF-8 is
/// not validated twice here.
/// </summary>
internal sealed class NodeClientWebSocket : WebSocket
{
    private const int MaxControlPayload = 125;
    private const int SendChunk = 16 * 1024;

    private readonly Stream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Timer? _keepAlive;
    private readonly byte[] _header = new byte[14];
    private readonly byte[] _control = new byte[MaxControlPayload];

    private volatile WebSocketState _state = WebSocketState.Open;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeDescription;
    private bool _disposed;

    // Receive side: the data frame being read and the message it belongs to.
    private long _frameRemaining;
    private bool _frameOpen;
    private bool _frameFinal;
    private bool _inMessage;
    private WebSocketMessageType _messageType;

    // Send side: true between a SendAsync with endOfMessage false and the one that ends the message.
    private bool _sendingFragments;

    public NodeClientWebSocket(Stream stream, TimeSpan keepAliveInterval)
    {
        _stream = stream;
        if (keepAliveInterval > TimeSpan.Zero)
            _keepAlive = new Timer(static s => ((NodeClientWebSocket)s!).SendKeepAlive(), this, keepAliveInterval, keepAliveInterval);
    }

    private enum Opcode : byte
    {
        Continuation = 0x0,
        Text = 0x1,
        Binary = 0x2,
        Close = 0x8,
        Ping = 0x9,
        Pong = 0xA,
    }

    public override WebSocketCloseStatus? CloseStatus => _closeStatus;

    public override string? CloseStatusDescription => _closeDescription;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_state is not (WebSocketState.Open or WebSocketState.CloseSent))
            throw new WebSocketException(WebSocketError.InvalidState, $"cannot receive in state {_state}");

        await using var abortOnCancel = cancellationToken.Register(static s => ((NodeClientWebSocket)s!).Abort(), this);
        try
        {
            while (true)
            {
                if (!_frameOpen)
                {
                    var (opcode, final, length) = await ReadFrameHeaderAsync(cancellationToken);
                    if (opcode >= Opcode.Close)
                    {
                        if (!final || length > MaxControlPayload) throw Protocol("a fragmented or oversized control frame");
                        var payload = _control.AsMemory(0, (int)length);
                        await _stream.ReadExactlyAsync(payload, cancellationToken);
                        if (opcode == Opcode.Ping) await SendFrameAsync(Opcode.Pong, true, payload, cancellationToken);
                        else if (opcode == Opcode.Close) return OnCloseFrame(payload.Span);
                        continue;
                    }

                    if (opcode == Opcode.Continuation)
                    {
                        if (!_inMessage) throw Protocol("a continuation frame outside a message");
                    }
                    else if (opcode is Opcode.Text or Opcode.Binary)
                    {
                        if (_inMessage) throw Protocol("a new message inside an unfinished one");
                        _inMessage = true;
                        _messageType = opcode == Opcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
                    }
                    else
                    {
                        throw Protocol($"reserved opcode {(byte)opcode:x}");
                    }

                    _frameOpen = true;
                    _frameFinal = final;
                    _frameRemaining = length;
                }

                if (_frameRemaining == 0)
                {
                    // An empty frame: it ends the message when final, and is skipped when not.
                    _frameOpen = false;
                    if (!_frameFinal) continue;
                    _inMessage = false;
                    return new ValueWebSocketReceiveResult(0, _messageType, true);
                }

                if (buffer.IsEmpty) return new ValueWebSocketReceiveResult(0, _messageType, false);
                var read = await _stream.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _frameRemaining)], cancellationToken);
                if (read == 0) throw new EndOfStreamException();
                _frameRemaining -= read;
                var endOfMessage = _frameRemaining == 0 && _frameFinal;
                if (_frameRemaining == 0)
                {
                    _frameOpen = false;
                    if (_frameFinal) _inMessage = false;
                }

                return new ValueWebSocketReceiveResult(read, _messageType, endOfMessage);
            }
        }
        catch (Exception ex) when (ex is not WebSocketException)
        {
            throw Fail(ex, cancellationToken);
        }
    }

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await ReceiveAsync(buffer.AsMemory(), cancellationToken);
        return result.MessageType == WebSocketMessageType.Close
            ? new WebSocketReceiveResult(0, WebSocketMessageType.Close, true, _closeStatus, _closeDescription)
            : new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
    }

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (messageType is not (WebSocketMessageType.Text or WebSocketMessageType.Binary))
            throw new ArgumentException("only text and binary messages can be sent; use CloseAsync to close", nameof(messageType));
        if (_state is not (WebSocketState.Open or WebSocketState.CloseReceived))
            throw new WebSocketException(WebSocketError.InvalidState, $"cannot send in state {_state}");

        var opcode = _sendingFragments ? Opcode.Continuation : messageType == WebSocketMessageType.Text ? Opcode.Text : Opcode.Binary;
        _sendingFragments = !endOfMessage;
        try
        {
            await SendFrameAsync(opcode, endOfMessage, buffer, cancellationToken);
        }
        catch (Exception ex) when (ex is not WebSocketException)
        {
            throw Fail(ex, cancellationToken);
        }
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override async Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_state is not (WebSocketState.Open or WebSocketState.CloseReceived))
            throw new WebSocketException(WebSocketError.InvalidState, $"cannot close in state {_state}");

        var reason = Encoding.UTF8.GetBytes(statusDescription ?? "");
        if (reason.Length > MaxControlPayload - 2) throw new ArgumentException("the close reason is longer than 123 bytes", nameof(statusDescription));
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)closeStatus);
        reason.CopyTo(payload, 2);
        try
        {
            await SendFrameAsync(Opcode.Close, true, payload, cancellationToken);
        }
        catch (Exception ex) when (ex is not WebSocketException)
        {
            throw Fail(ex, cancellationToken);
        }

        if (_state == WebSocketState.CloseReceived) Finish();
        else _state = WebSocketState.CloseSent;
    }

    public override async Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        if (_state is WebSocketState.Open or WebSocketState.CloseReceived)
            await CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        // Wait for the Core's close frame; data still in flight is dropped, as the caller is done with it.
        var discard = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (_state == WebSocketState.CloseSent) await ReceiveAsync(discard.AsMemory(), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(discard);
        }
    }

    public override void Abort()
    {
        if (_state is not (WebSocketState.Closed or WebSocketState.Aborted)) _state = WebSocketState.Aborted;
        _keepAlive?.Dispose();
        _stream.Dispose();
    }

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_state is not (WebSocketState.Closed or WebSocketState.Aborted)) _state = WebSocketState.Closed;
        _keepAlive?.Dispose();
        _stream.Dispose();
        _sendLock.Dispose();
    }

    private ValueWebSocketReceiveResult OnCloseFrame(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 1) throw Protocol("a close frame with a one-byte payload");
        if (payload.Length >= 2)
        {
            _closeStatus = (WebSocketCloseStatus)BinaryPrimitives.ReadUInt16BigEndian(payload);
            _closeDescription = Encoding.UTF8.GetString(payload[2..]);
        }
        else
        {
            _closeStatus = WebSocketCloseStatus.Empty;
            _closeDescription = null;
        }

        if (_state == WebSocketState.CloseSent) Finish();
        else _state = WebSocketState.CloseReceived;
        return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, true);
    }

    /// <summary>Both close frames have crossed: the connection has nothing left to carry.</summary>
    private void Finish()
    {
        _state = WebSocketState.Closed;
        _keepAlive?.Dispose();
        _stream.Dispose();
    }

    private async ValueTask<(Opcode Opcode, bool Final, long Length)> ReadFrameHeaderAsync(CancellationToken ct)
    {
        await _stream.ReadExactlyAsync(_header.AsMemory(0, 2), ct);
        var first = _header[0];
        var second = _header[1];
        if ((first & 0x70) != 0) throw Protocol("reserved bits set without a negotiated extension");
        if ((second & 0x80) != 0) throw Protocol("a masked frame from the server");

        long length = second & 0x7F;
        if (length == 126)
        {
            await _stream.ReadExactlyAsync(_header.AsMemory(0, 2), ct);
            length = BinaryPrimitives.ReadUInt16BigEndian(_header);
        }
        else if (length == 127)
        {
            await _stream.ReadExactlyAsync(_header.AsMemory(0, 8), ct);
            var wide = BinaryPrimitives.ReadUInt64BigEndian(_header);
            if (wide > long.MaxValue) throw Protocol("a frame length with the top bit set");
            length = (long)wide;
        }

        return ((Opcode)(first & 0x0F), (first & 0x80) != 0, length);
    }

    /// <summary>Writes one masked frame; frames never interleave (one writer at a time).</summary>
    private async ValueTask SendFrameAsync(Opcode opcode, bool final, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(_header.Length + Math.Min(payload.Length, SendChunk));
        try
        {
            buffer[0] = (byte)((final ? 0x80 : 0) | (byte)opcode);
            int headerLength;
            if (payload.Length < 126)
            {
                buffer[1] = (byte)(0x80 | payload.Length);
                headerLength = 2;
            }
            else if (payload.Length <= ushort.MaxValue)
            {
                buffer[1] = 0x80 | 126;
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)payload.Length);
                headerLength = 4;
            }
            else
            {
                buffer[1] = 0x80 | 127;
                BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(2), (ulong)payload.Length);
                headerLength = 10;
            }

            Native.FillRandom(buffer.AsSpan(headerLength, 4));
            var mask = MemoryMarshal.Read<uint>(buffer.AsSpan(headerLength, 4));
            headerLength += 4;

            // The header goes out with the first chunk; chunks are multiples of 4 bytes, so the mask stays in phase.
            var offset = 0;
            var start = headerLength;
            do
            {
                var chunk = Math.Min(payload.Length - offset, SendChunk);
                Mask(payload.Span.Slice(offset, chunk), buffer.AsSpan(start, chunk), mask);
                await _stream.WriteAsync(buffer.AsMemory(0, start + chunk), ct);
                offset += chunk;
                start = 0;
            }
            while (offset < payload.Length);

            await _stream.FlushAsync(ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _sendLock.Release();
        }
    }

    /// <summary>XORs <paramref name="source"/> with the 4-byte <paramref name="mask"/> (in memory order) into <paramref name="target"/>.</summary>
    internal static void Mask(ReadOnlySpan<byte> source, Span<byte> target, uint mask)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<byte>.Count)
        {
            var masks = Vector.AsVectorByte(new Vector<uint>(mask));
            for (; i <= source.Length - Vector<byte>.Count; i += Vector<byte>.Count)
                (new Vector<byte>(source[i..]) ^ masks).CopyTo(target[i..]);
        }

        Span<byte> maskBytes = stackalloc byte[4];
        MemoryMarshal.Write(maskBytes, in mask);
        for (; i < source.Length; i++) target[i] = (byte)(source[i] ^ maskBytes[i & 3]);
    }

    /// <summary>An unsolicited pong (RFC 6455 §5.5.3) keeps proxies from closing a quiet stream; the Core need not answer.</summary>
    private void SendKeepAlive()
    {
        if (_state != WebSocketState.Open) return;
        _ = SendFrameAsync(Opcode.Pong, true, ReadOnlyMemory<byte>.Empty, CancellationToken.None).AsTask()
            .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private WebSocketException Protocol(string what)
    {
        Abort();
        return new WebSocketException(WebSocketError.Faulted, $"the Core broke the WebSocket protocol: {what}");
    }

    /// <summary>Any I/O failure ends the connection; a cancelled call says so as cancellation, as the framework's socket does.</summary>
    private Exception Fail(Exception ex, CancellationToken ct)
    {
        Abort();
        if (ct.IsCancellationRequested) return new OperationCanceledException("the WebSocket operation was cancelled", ex, ct);
        return ex is EndOfStreamException
            ? new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "the connection closed without a close frame", ex)
            : new WebSocketException(WebSocketError.Faulted, ex.Message, ex);
    }
}
