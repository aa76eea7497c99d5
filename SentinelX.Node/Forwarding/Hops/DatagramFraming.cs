using System.Buffers;
using System.Buffers.Binary;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>UDP datagrams on a hop stream: a 2-byte big-endian length, then the payload (see <see cref="Shared.Protocol.HopKind.Udp"/>).</summary>
internal static class DatagramFraming
{
    public const int HeaderSize = 2;

    /// <summary>Writes the length header of a <paramref name="length"/>-byte datagram into the first <see cref="HeaderSize"/> bytes.</summary>
    public static void WriteHeader(Span<byte> frame, int length)
    {
        if (length > ushort.MaxValue) throw new ArgumentException("datagram too large", nameof(length));
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)length);
    }

    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> datagram, CancellationToken ct)
    {
        if (datagram.Length > ushort.MaxValue) throw new ArgumentException("datagram too large", nameof(datagram));
        var length = HeaderSize + datagram.Length;
        var frame = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            WriteHeader(frame, datagram.Length);
            datagram.CopyTo(frame.AsMemory(HeaderSize));
            await stream.WriteAsync(frame.AsMemory(0, length), ct);
            await stream.FlushAsync(ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Reads one datagram into <paramref name="buffer"/> (at least 65535 bytes); -1 at the end of the stream.</summary>
    public static async ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        if (!await FillAsync(stream, buffer[..HeaderSize], ct)) return -1;
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
