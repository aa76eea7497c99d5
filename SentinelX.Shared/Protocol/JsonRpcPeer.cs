using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SentinelX.Shared.Protocol;

/// <summary>
/// One side of a JSON-RPC 2.0 connection over a WebSocket. Both Core and Node use it: it reads
/// messages up to <see cref="ProtocolInfo.MaxMessageBytes"/>, dispatches requests and notifications
/// to <see cref="JsonRpcMethods"/>, matches responses to outstanding requests, and answers every
/// bad message with a JSON-RPC error instead of failing.
/// </summary>
public sealed class JsonRpcPeer : IAsyncDisposable
{
    private const int InitialBufferSize = 8 * 1024;
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private readonly WebSocket _socket;
    private readonly JsonRpcMethods _methods;
    private readonly Action<string, Exception?>? _log;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private ArrayBufferWriter<byte> _sendBuffer = new(InitialBufferSize);
    private byte[] _receiveBuffer = [];
    private readonly CancellationTokenSource _closed = new();
    private long _nextId;
    private long _lastReceivedTicks = Environment.TickCount64;
    private int _inFlight;

    /// <param name="socket">An open WebSocket.</param>
    /// <param name="methods">What this side answers.</param>
    /// <param name="log">Receives problems worth a log line (bad messages, handler failures).</param>
    public JsonRpcPeer(WebSocket socket, JsonRpcMethods methods, Action<string, Exception?>? log = null)
    {
        _socket = socket;
        _methods = methods;
        _log = log;
    }

    /// <summary>
    /// How many of the peer's requests may run at once; one more is answered with
    /// <see cref="JsonRpcErrorCodes.TooManyRequests"/> without running it, so a noisy peer cannot pile up work.
    /// </summary>
    public int MaxConcurrentRequests { get; init; } = int.MaxValue;

    /// <summary>The clock request timeouts run on; tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary><see cref="Environment.TickCount64"/> when the last message arrived; liveness checks read it.</summary>
    public long LastReceivedTicks => Volatile.Read(ref _lastReceivedTicks);

    /// <summary>Cancelled once the connection is closed or lost.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Reads and dispatches messages until the peer closes, the socket fails or <paramref name="ct"/> fires.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _receiveBuffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            while (!ct.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var (count, type, tooLarge) = await ReceiveMessageAsync(ct).ConfigureAwait(false);
                if (type == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
                    break;
                }

                Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
                if (tooLarge)
                    await SendErrorAsync(null, JsonRpcErrorCodes.MessageTooLarge, $"message exceeds {ProtocolInfo.MaxMessageBytes} bytes", ct).ConfigureAwait(false);
                else if (type == WebSocketMessageType.Binary)
                    await SendErrorAsync(null, JsonRpcErrorCodes.InvalidRequest, "binary messages are not supported; send JSON text", ct).ConfigureAwait(false);
                else
                    await HandleMessageAsync(_receiveBuffer.AsMemory(0, count), ct).ConfigureAwait(false);

                if (_receiveBuffer.Length > 4 * InitialBufferSize)
                {
                    // Give a large message's buffer back instead of holding it for the connection's lifetime.
                    ArrayPool<byte>.Shared.Return(_receiveBuffer);
                    _receiveBuffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The connection is gone; callers learn it from Closed and from RunAsync returning.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_receiveBuffer);
            _receiveBuffer = [];
            FailPending();
            await _closed.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends a request and waits for its result, at most <paramref name="timeout"/> (default 10 s).</summary>
    /// <exception cref="JsonRpcException">The peer answered with an error, or the request timed out.</exception>
    /// <exception cref="IOException">The connection closed before an answer came.</exception>
    public async Task<TResult> RequestAsync<TParams, TResult>(
        string method,
        TParams parameters,
        JsonTypeInfo<TParams> paramsInfo,
        JsonTypeInfo<TResult> resultInfo,
        TimeSpan? timeout = null,
        CancellationToken ct = default)
    {
        var id = Interlocked.Increment(ref _nextId);
        var response = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        var limit = timeout ?? ProtocolInfo.DefaultRequestTimeout;
        using var expiry = new CancellationTokenSource(limit, Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, _closed.Token, expiry.Token);
        try
        {
            await SendAsync(w =>
            {
                w.WriteString("jsonrpc"u8, "2.0");
                w.WriteNumber("id"u8, id);
                w.WriteString("method"u8, method);
                w.WritePropertyName("params"u8);
                JsonSerializer.Serialize(w, parameters, paramsInfo);
            }, deadline.Token).ConfigureAwait(false);
            var result = await response.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                return result.Deserialize(resultInfo)
                    ?? throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"{method} returned null");
            }
            catch (JsonException ex)
            {
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"{method} returned an unexpected result", ex.Message);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            if (_closed.IsCancellationRequested) throw new IOException($"connection closed before {method} was answered");
            throw new JsonRpcException(JsonRpcErrorCodes.Timeout, $"{method} timed out after {limit.TotalSeconds:0.#} s");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Sends a notification (no response expected).</summary>
    public Task NotifyAsync<TParams>(string method, TParams parameters, JsonTypeInfo<TParams> paramsInfo, CancellationToken ct = default) =>
        SendAsync(w =>
        {
            w.WriteString("jsonrpc"u8, "2.0");
            w.WriteString("method"u8, method);
            w.WritePropertyName("params"u8);
            JsonSerializer.Serialize(w, parameters, paramsInfo);
        }, ct);

    /// <summary>Closes the connection politely, giving the peer a moment to answer the close.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string? reason, CancellationToken ct = default)
    {
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(status, reason, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            _socket.Abort();
        }
    }

    /// <summary>Drops the connection at once (used for dead peers).</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        FailPending();
        await _closed.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        _closed.Dispose();
        _sendLock.Dispose();
    }

    private async ValueTask<(int Count, WebSocketMessageType Type, bool TooLarge)> ReceiveMessageAsync(CancellationToken ct)
    {
        var count = 0;
        var tooLarge = false;
        while (true)
        {
            if (count == _receiveBuffer.Length && !tooLarge)
            {
                if (_receiveBuffer.Length >= ProtocolInfo.MaxMessageBytes)
                {
                    // Over the limit: keep reading to the end of the message but discard it.
                    tooLarge = true;
                    count = 0;
                }
                else
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_receiveBuffer.Length * 2, ProtocolInfo.MaxMessageBytes));
                    _receiveBuffer.AsSpan(0, count).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(_receiveBuffer);
                    _receiveBuffer = bigger;
                }
            }

            var target = tooLarge ? _receiveBuffer.AsMemory() : _receiveBuffer.AsMemory(count);
            var result = await _socket.ReceiveAsync(target, ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close) return (0, WebSocketMessageType.Close, false);
            if (!tooLarge) count += result.Count;
            if (result.EndOfMessage) return (count, result.MessageType, tooLarge);
        }
    }

    private async Task HandleMessageAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message, DocumentOptions);
        }
        catch (JsonException ex)
        {
            await SendErrorAsync(null, JsonRpcErrorCodes.ParseError, "parse error: message is not valid JSON", ct, ex.Message).ConfigureAwait(false);
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                await SendErrorAsync(null, JsonRpcErrorCodes.InvalidRequest, "a message must be a JSON object (batches are not supported)", ct).ConfigureAwait(false);
                return;
            }

            JsonElement? id = root.TryGetProperty("id"u8, out var idElement) && idElement.ValueKind != JsonValueKind.Null
                ? idElement.Clone()
                : null;
            if (id is { ValueKind: not (JsonValueKind.Number or JsonValueKind.String) })
            {
                await SendErrorAsync(null, JsonRpcErrorCodes.InvalidRequest, "id must be a number or a string", ct).ConfigureAwait(false);
                return;
            }

            if (!root.TryGetProperty("jsonrpc"u8, out var version) || !version.ValueEquals("2.0"u8))
            {
                await SendErrorAsync(id, JsonRpcErrorCodes.InvalidRequest, "jsonrpc must be \"2.0\"", ct).ConfigureAwait(false);
                return;
            }

            if (root.TryGetProperty("method"u8, out var methodElement))
            {
                if (methodElement.ValueKind != JsonValueKind.String)
                {
                    await SendErrorAsync(id, JsonRpcErrorCodes.InvalidRequest, "method must be a string", ct).ConfigureAwait(false);
                    return;
                }

                JsonElement? parameters = root.TryGetProperty("params"u8, out var p) ? p : null;
                await DispatchAsync(id, methodElement.GetString()!, parameters, ct).ConfigureAwait(false);
                return;
            }

            if (id is { ValueKind: JsonValueKind.Number } responseId && responseId.TryGetInt64(out var key) && _pending.TryRemove(key, out var waiter))
            {
                if (root.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    var code = error.TryGetProperty("code"u8, out var c) && c.TryGetInt32(out var n) ? n : JsonRpcErrorCodes.InternalError;
                    var text = error.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "error";
                    var data = error.TryGetProperty("data"u8, out var d) ? (d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText()) : null;
                    waiter.TrySetException(new JsonRpcException(code, text, data));
                }
                else if (root.TryGetProperty("result"u8, out var result))
                {
                    waiter.TrySetResult(result.Clone());
                }
                else
                {
                    waiter.TrySetException(new JsonRpcException(JsonRpcErrorCodes.InvalidRequest, "response has neither result nor error"));
                }

                return;
            }

            // A response nobody waits for (timed out already) is dropped; anything else is malformed.
            if (!root.TryGetProperty("result"u8, out _) && !root.TryGetProperty("error"u8, out _))
                await SendErrorAsync(id, JsonRpcErrorCodes.InvalidRequest, "message has no method", ct).ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(JsonElement? id, string method, JsonElement? parameters, CancellationToken ct)
    {
        if (!_methods.TryGet(method, out var handler))
        {
            // Unknown notifications are answered too (with a null id) so a mismatched peer shows up in logs.
            await SendErrorAsync(id, JsonRpcErrorCodes.MethodNotFound, $"method not found: {method}", ct).ConfigureAwait(false);
            return;
        }

        if (id is null)
        {
            if (!handler.IsNotification)
            {
                await SendErrorAsync(null, JsonRpcErrorCodes.InvalidRequest, $"{method} is a request and needs an id", ct).ConfigureAwait(false);
                return;
            }

            // Notifications run inline: their order matters (samples) and they are quick.
            try
            {
                await handler.Invoke(parameters, null!, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var error = ToError(method, ex);
                await SendErrorAsync(null, error.Code, error.Message, ct, error.Data).ConfigureAwait(false);
            }

            return;
        }

        if (handler.IsNotification)
        {
            await SendErrorAsync(id, JsonRpcErrorCodes.InvalidRequest, $"{method} is a notification and takes no id", ct).ConfigureAwait(false);
            return;
        }

        // Requests run concurrently so a slow one never stalls the receive loop. Params are cloned
        // because the document they came from is disposed when this message is done.
        if (Interlocked.Increment(ref _inFlight) > MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _inFlight);
            await SendErrorAsync(id, JsonRpcErrorCodes.TooManyRequests, $"too many requests: at most {MaxConcurrentRequests} may be in flight", ct).ConfigureAwait(false);
            return;
        }

        var ownedParams = parameters?.Clone();
        _ = Task.Run(async () =>
        {
            try
            {
                await AnswerAsync(id.Value, method, handler, ownedParams, ct).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }, CancellationToken.None);
    }

    private async Task AnswerAsync(JsonElement id, string method, JsonRpcMethods.Handler handler, JsonElement? parameters, CancellationToken ct)
    {
        var resultBuffer = new ArrayBufferWriter<byte>();
        try
        {
            await using (var resultWriter = new Utf8JsonWriter(resultBuffer, WriterOptions))
            {
                await handler.Invoke(parameters, resultWriter, ct).ConfigureAwait(false);
            }

            await SendAsync(w =>
            {
                w.WriteString("jsonrpc"u8, "2.0");
                w.WritePropertyName("id"u8);
                id.WriteTo(w);
                w.WritePropertyName("result"u8);
                w.WriteRawValue(resultBuffer.WrittenSpan, skipInputValidation: true);
            }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not WebSocketException and not IOException)
        {
            var error = ToError(method, ex);
            try
            {
                await SendErrorAsync(id, error.Code, error.Message, ct, error.Data).ConfigureAwait(false);
            }
            catch (Exception sendFailure) when (sendFailure is WebSocketException or IOException or OperationCanceledException)
            {
                // The connection went away while answering; nothing left to tell.
            }
        }
        catch (Exception)
        {
            // Cancelled or connection lost while answering: the peer is gone.
        }
    }

    private JsonRpcError ToError(string method, Exception ex)
    {
        if (ex is JsonRpcException rpc) return rpc.ToError();
        _log?.Invoke($"handler for {method} failed", ex);
        return new JsonRpcError { Code = JsonRpcErrorCodes.InternalError, Message = $"internal error in {method}" };
    }

    private Task SendErrorAsync(JsonElement? id, int code, string message, CancellationToken ct, string? data = null)
    {
        _log?.Invoke($"answered with error {code}: {message}", null);
        return SendAsync(w =>
        {
            w.WriteString("jsonrpc"u8, "2.0");
            w.WritePropertyName("id"u8);
            if (id is { } value) value.WriteTo(w);
            else w.WriteNullValue();
            w.WriteStartObject("error"u8);
            w.WriteNumber("code"u8, code);
            w.WriteString("message"u8, message);
            if (data is not null) w.WriteString("data"u8, data);
            w.WriteEndObject();
        }, ct);
    }

    private async Task SendAsync(Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _sendBuffer.ResetWrittenCount();
            await using (var writer = new Utf8JsonWriter(_sendBuffer, WriterOptions))
            {
                writer.WriteStartObject();
                write(writer);
                writer.WriteEndObject();
            }

            if (_sendBuffer.WrittenCount > ProtocolInfo.MaxMessageBytes)
                throw new InvalidOperationException($"refusing to send a message of {_sendBuffer.WrittenCount} bytes (limit {ProtocolInfo.MaxMessageBytes})");
            await _socket.SendAsync(_sendBuffer.WrittenMemory, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
        }
        finally
        {
            if (_sendBuffer.Capacity > 4 * InitialBufferSize) _sendBuffer = new ArrayBufferWriter<byte>(InitialBufferSize);
            _sendLock.Release();
        }
    }

    private void FailPending()
    {
        foreach (var (key, waiter) in _pending)
        {
            if (_pending.TryRemove(key, out _)) waiter.TrySetException(new IOException("connection closed"));
        }
    }
}
