using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Node.Forwarding.Limits;

namespace SentinelX.Node.Forwarding.Copy;

/// <summary>
/// The pooled-buffer copy used when splice cannot be (a bandwidth limit, a TLS or WebSocket hop):
/// a zero-byte read waits for data before a 64 KiB buffer is rented, so idle connections hold no
/// buffer (YARP's StreamCopier, Kestrel's SocketConnection). Each chunk is paid for in the rule's
/// token bucket and counted as soon as it is written.
/// </summary>
internal static class StreamCopier
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Gathering stops when less than a TLS record's worth of the buffer is left.</summary>
    private const int MinGather = 16 * 1024;

    /// <summary>
    /// Copies both ways. When one side ends cleanly and its end can be passed on (a socket, TLS or
    /// WebSocket half-close), the other direction runs to its end too; otherwise the first end closes both.
    /// </summary>
    public static async Task RunAsync(Stream client, Stream target, RuleCounters counters, CancellationToken ct)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var inbound = CopyAsync(client, target, counters.Inbound, counters.AddIn, cancel.Token);
        var outbound = CopyAsync(target, client, counters.Outbound, counters.AddOut, cancel.Token);
        var first = await Task.WhenAny(inbound, outbound);
        var halfClosed = await first;
        if (!halfClosed) await cancel.CancelAsync();
        var second = first == inbound ? outbound : inbound;
        try
        {
            await second;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Copies until the end of <paramref name="from"/>; true when that end was passed on to <paramref name="to"/>.
    /// A TLS or WebSocket hop hands out a record or a message at a time (16 KiB for TLS). While more
    /// is already there, i.e. the next read completes at once, reads are gathered up to the buffer's
    /// size and written as one; the first read that would wait is left running into the rest of the
    /// buffer while the gathered bytes are written.
    /// </summary>
    private static async Task<bool> CopyAsync(Stream from, Stream to, TokenBucket bucket, Action<long> count, CancellationToken ct)
    {
        var gather = from is not NetworkStream;
        byte[]? buffer = null;
        ValueTask<int> pending = default;
        var reading = false;
        try
        {
            var start = 0;
            var end = 0;
            while (true)
            {
                if (buffer is null)
                {
#pragma warning disable CA2022 // a zero-byte read only waits until data is there; it never returns any
                    await from.ReadAsync(Memory<byte>.Empty, ct);
#pragma warning restore CA2022
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                var read = reading ? await pending : await from.ReadAsync(buffer.AsMemory(end, BufferSize - end), ct);
                reading = false;
                var ended = read == 0;
                end += read;
                while (gather && !ended && BufferSize - end >= MinGather)
                {
                    var next = from.ReadAsync(buffer.AsMemory(end, BufferSize - end), ct);
                    if (!next.IsCompleted)
                    {
                        (pending, reading) = (next, true);
                        break;
                    }

                    var more = next.GetAwaiter().GetResult();
                    if (more == 0) ended = true;
                    end += more;
                }

                if (end > start)
                {
                    await bucket.TakeAsync(end - start, ct);
                    await to.WriteAsync(buffer.AsMemory(start, end - start), ct);
                    count(end - start);
                }

                if (ended) return await PassEndAsync(to);
                if (reading) start = end;
                else start = end = 0;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            // A read still running would fill the buffer after it went back to the pool; the collector takes it then.
            if (buffer is not null && !reading) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<bool> PassEndAsync(Stream to)
    {
        try
        {
            switch (to)
            {
                case NetworkStream network:
                    await network.FlushAsync();
                    network.Socket.Shutdown(SocketShutdown.Send);
                    return true;
                case SslStream tls:
                    await tls.ShutdownAsync();
                    return true;
                case WebSocketStream webSocket:
                    await webSocket.ShutdownWriteAsync();
                    return true;
                default:
                    return false;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }
    }
}
