using System.Buffers.Binary;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>UDP datagrams on a hop stream: a 2-byte big-endian length, then the payload (see <see cref="Shared.Protocol.HopKind.Udp"/>).</summary>
internal static class DatagramFraming
{
    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> datagram, CancellationToken ct)
    {
        if (datagram.Length > ushort.MaxValue) throw new ArgumentException("datagram too large", nameof(datagram));
        var frame = new byte[2 + datagram.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)datagram.Length);
        datagram.CopyTo(frame.AsMemory(2));
        await stream.WriteAsync(frame, ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>Reads one datagram into <paramref name="buffer"/> (at least 65535 bytes); -1 at the end of the stream.</summary>
    public static async ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        if (!await FillAsync(stream, buffer[..2], ct)) return -1;
        var length = BinaryPrimitives.ReadUInt16BigEndian(buffer.Span);
        if (length == 0) return 0;
        return await FillAsync(stream, buffer[..length], ct) ? length : -1;
    }

    private static async ValueTask<bool> FillAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], ct);
            if (n == 0) return false;
            read += n;
        }

        return true;
    }
}
