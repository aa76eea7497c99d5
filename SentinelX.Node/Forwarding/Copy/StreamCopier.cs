using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Node.Forwarding.Limits;

namespace SentinelX.Node.Forwarding.Copy;

/// <summary>
/// The pooled-buffer copy used when splice cannot be (a bandwidth limit, a TLS or WebSocket hop):
/// a zero-byte read waits for data before a 64 KiB buffer is rented, on every round, and the buffer
/// goes back to the pool whenever that read would wait, so idle connections hold no buffer (YARP's
/// StreamCopier, Kestrel's SocketConnection). Each chunk is paid for in the rule's
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
    public static async Task RunAsync(Stream client, Stream target, RuleCounters counters, CancellationToken ct, ArrayPool<byte>? pool = null)
    {
        pool ??= ArrayPool<byte>.Shared;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var inbound = CopyAsync(client, target, counters.Inbound, counters.AddIn, pool, cancel.Token);
        var outbound = CopyAsync(target, client, counters.Outbound, counters.AddOut, pool, cancel.Token);
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
    /// Every round starts with a zero-byte read: while it would wait, the buffer goes back to the
    /// pool, so an idle connection holds none (as YARP's StreamCopier does). A TLS or WebSocket hop
    /// hands out a record or a message at a time (16 KiB for TLS). While more is already there, i.e.
    /// the next zero-byte read completes at once, reads are gathered up to the buffer's size and
    /// written as one; a zero-byte read that would wait ends the gathering and is the next round's.
    /// A read is only issued once data is there, so none is ever left running into a buffer.
    /// </summary>
    private static async Task<bool> CopyAsync(Stream from, Stream to, TokenBucket bucket, Action<long> count, ArrayPool<byte> pool, CancellationToken ct)
    {
        var gather = from is not NetworkStream;
        byte[]? buffer = null;
        ValueTask<int> waiting = default;
        var hasWaiting = false;
        try
        {
            while (true)
            {
#pragma warning disable CA2022 // a zero-byte read only waits until data is there; it never returns any
                var wait = hasWaiting ? waiting : from.ReadAsync(Memory<byte>.Empty, ct);
#pragma warning restore CA2022
                hasWaiting = false;
                if (!wait.IsCompleted)
                {
                    if (buffer is not null)
                    {
                        var idle = buffer;
                        buffer = null;
                        pool.Return(idle);
                    }

                    await wait;
                    if (!DataWait.IsReal(from)) continue;
                }
                else
                {
                    wait.GetAwaiter().GetResult();
                    // One poll per chunk: a stale readiness event can complete this at once as well.
                    if (buffer is null && !DataWait.IsReal(from)) continue;
                }

                buffer ??= pool.Rent(BufferSize);
                var end = await from.ReadAsync(buffer.AsMemory(0, BufferSize), ct);
                var ended = end == 0;
                while (gather && !ended && BufferSize - end >= MinGather)
                {
#pragma warning disable CA2022
                    var more = from.ReadAsync(Memory<byte>.Empty, ct);
#pragma warning restore CA2022
                    if (!more.IsCompleted)
                    {
                        (waiting, hasWaiting) = (more, true);
                        break;
                    }

                    more.GetAwaiter().GetResult();
                    var got = await from.ReadAsync(buffer.AsMemory(end, BufferSize - end), ct);
                    if (got == 0) ended = true;
                    end += got;
                }

                if (end > 0)
                {
                    await bucket.TakeAsync(end, ct);
                    await to.WriteAsync(buffer.AsMemory(0, end), ct);
                    count(end);
                }

                if (ended) return await PassEndAsync(to);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (buffer is not null) pool.Return(buffer);
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
