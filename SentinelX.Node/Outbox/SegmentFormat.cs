using System.Buffers.Binary;

namespace SentinelX.Node.Outbox;

/// <summary>
/// One outbox record on disk: <c>[u32 length][u32 crc32][i64 seq][length bytes of sample JSON]</c>,
/// little-endian, the CRC over seq and payload. A record cut short by a crash or with a CRC that
/// does not match ends the readable part of a segment.
/// </summary>
internal static class SegmentFormat
{
    public const int HeaderSize = 16;

    /// <summary>No sample comes near this; a larger length field means the header itself is damaged.</summary>
    public const int MaxPayload = 1024 * 1024;

    public static int Write(Span<byte> destination, long seq, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], seq);
        payload.CopyTo(destination[HeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32.Compute(destination.Slice(8, 8 + payload.Length)));
        return HeaderSize + payload.Length;
    }

    /// <summary>
    /// Reads the next record from <paramref name="stream"/> into <paramref name="buffer"/> (grown as
    /// needed). Returns false at the end of the segment or at the first torn/corrupt record; the
    /// stream position is then unspecified and <paramref name="torn"/> says which it was.
    /// </summary>
    public static bool TryRead(Stream stream, ref byte[] buffer, out long seq, out int payloadLength, out bool torn)
    {
        seq = 0;
        payloadLength = 0;
        torn = false;
        Span<byte> header = stackalloc byte[HeaderSize];
        var got = stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        if (got == 0) return false;
        if (got < HeaderSize)
        {
            torn = true;
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length > MaxPayload)
        {
            torn = true;
            return false;
        }

        if (buffer.Length < 8 + (int)length) buffer = new byte[Math.Max(8 + (int)length, buffer.Length * 2)];
        header[8..].CopyTo(buffer);
        if (stream.ReadAtLeast(buffer.AsSpan(8, (int)length), (int)length, throwOnEndOfStream: false) < length
            || Crc32.Compute(buffer.AsSpan(0, 8 + (int)length)) != crc)
        {
            torn = true;
            return false;
        }

        seq = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        payloadLength = (int)length;
        return true;
    }

    /// <summary>The payload of the record <see cref="TryRead"/> just read (it sits after the seq in the buffer).</summary>
    public static ReadOnlySpan<byte> Payload(byte[] buffer, int payloadLength) => buffer.AsSpan(8, payloadLength);

    /// <summary>Segment files are named after the seq of their first record, zero-padded so they sort.</summary>
    public static string FileName(long firstSeq) => $"{firstSeq:D19}.seg";

    public static bool TryParseFileName(string path, out long firstSeq)
    {
        var name = Path.GetFileName(path.AsSpan());
        firstSeq = 0;
        return name.EndsWith(".seg", StringComparison.Ordinal)
            && long.TryParse(name[..^4], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out firstSeq);
    }
}
