using System.Net.Sockets;

namespace SentinelX.Node.Forwarding.Copy;

/// <summary>
/// Waits until a stream or socket has data, without a buffer. On Linux a zero-byte read (or peek)
/// that had to wait can complete on a stale readiness event with nothing to read, and the read
/// after it would then hold a rented buffer until data comes; a zero-timeout poll tells the two
/// apart (it is also true at the end of the stream, which the next read then reports).
/// </summary>
internal static class DataWait
{
    /// <summary>After a zero-byte read of <paramref name="stream"/> that had to wait: true when data (or the end) is really there.</summary>
    public static bool IsReal(Stream stream) => stream is not NetworkStream network || network.Socket.Poll(0, SelectMode.SelectRead);

    public static async ValueTask ForStreamAsync(Stream stream, CancellationToken ct)
    {
        while (true)
        {
#pragma warning disable CA2022 // a zero-byte read only waits until data is there; it never returns any
            var wait = stream.ReadAsync(Memory<byte>.Empty, ct);
#pragma warning restore CA2022
            if (wait.IsCompleted)
            {
                wait.GetAwaiter().GetResult();
                return;
            }

            await wait;
            if (IsReal(stream)) return;
        }
    }

    /// <summary>For a datagram socket: a peek, since a zero-byte receive would take the datagram and drop it.</summary>
    public static async ValueTask ForDatagramAsync(Socket socket, CancellationToken ct)
    {
        while (true)
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, ct);
            if (socket.Poll(0, SelectMode.SelectRead)) return;
        }
    }
}
