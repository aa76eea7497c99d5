using System.Buffers.Binary;
using System.Text;

namespace SentinelX.Node.Probes;

/// <summary>One resource record of an answer section; <see cref="Data"/> is the raw RDATA.</summary>
internal sealed record DnsRecord(string Name, ushort Type, ushort Class, uint Ttl, byte[] Data);

/// <summary>What the DNS check needs of a message: header fields, the question, the answer section.</summary>
internal sealed record DnsReply(ushort Id, bool IsResponse, bool Truncated, int ResponseCode, string QuestionName, ushort QuestionType, IReadOnlyList<DnsRecord> Answers);

/// <summary>
/// The wire format of RFC 1035, as much as an A/AAAA check needs: a query with one question and
/// recursion desired, and a reader for the reply that refuses anything malformed (cut short,
/// labels or names too long, compression pointers that do not point strictly backwards) with
/// <see cref="InvalidDataException"/>, so a hostile server cannot make it loop or read out of bounds.
/// </summary>
internal static class DnsMessage
{
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeAaaa = 28;
    public const ushort ClassIn = 1;

    public const int HeaderSize = 12;

    /// <summary>The most a query can take: header, a 255-byte name, type and class.</summary>
    public const int MaxQuerySize = HeaderSize + 255 + 4;

    public const int ResponseNoError = 0;
    public const int ResponseServerFailure = 2;
    public const int ResponseNameError = 3;
    public const int ResponseRefused = 5;

    private const int MaxNameLength = 255;

    /// <summary>Writes a standard query for <paramref name="name"/> (a checked DNS name) and returns its length.</summary>
    public static int WriteQuery(Span<byte> destination, ushort id, string name, ushort type)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0x0100); // RD: ask the server to recurse
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], 1); // one question
        destination[6..HeaderSize].Clear();
        var offset = HeaderSize;
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            destination[offset++] = (byte)label.Length;
            offset += Encoding.ASCII.GetBytes(label, destination[offset..]);
        }

        destination[offset++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], ClassIn);
        return offset + 4;
    }

    public static DnsReply Read(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderSize) throw new InvalidDataException("shorter than a DNS header");
        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        if (questions != 1) throw new InvalidDataException($"{questions} questions instead of 1");

        var offset = HeaderSize;
        var questionName = ReadName(message, ref offset);
        var questionType = ReadUInt16(message, ref offset);
        _ = ReadUInt16(message, ref offset); // class

        var records = new List<DnsRecord>(Math.Min((int)answers, 64));
        for (var i = 0; i < answers; i++)
        {
            var name = ReadName(message, ref offset);
            var type = ReadUInt16(message, ref offset);
            var @class = ReadUInt16(message, ref offset);
            var ttl = (uint)ReadUInt16(message, ref offset) << 16 | ReadUInt16(message, ref offset);
            var length = ReadUInt16(message, ref offset);
            if (offset + length > message.Length) throw new InvalidDataException("a record runs past the end of the message");
            records.Add(new DnsRecord(name, type, @class, ttl, message.Slice(offset, length).ToArray()));
            offset += length;
        }

        return new DnsReply(id, (flags & 0x8000) != 0, (flags & 0x0200) != 0, flags & 0x000F, questionName, questionType, records);
    }

    /// <summary>
    /// Reads a possibly compressed name. Each pointer must lead before every byte of the name read so
    /// far, so the positions only ever go down: a chain of pointers ends, whatever the server sends.
    /// </summary>
    internal static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = new StringBuilder();
        var position = offset;
        var lowest = offset;
        var jumped = false;
        while (true)
        {
            if (position >= message.Length) throw new InvalidDataException("a name runs past the end of the message");
            var length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length) throw new InvalidDataException("a compression pointer is cut off");
                var target = (length & 0x3F) << 8 | message[position + 1];
                if (target >= lowest) throw new InvalidDataException("a compression pointer does not point backwards (a loop)");
                if (!jumped) offset = position + 2;
                jumped = true;
                position = lowest = target;
                continue;
            }

            if ((length & 0xC0) != 0) throw new InvalidDataException("unknown label type");
            if (length == 0)
            {
                if (!jumped) offset = position + 1;
                return name.Length == 0 ? "." : name.ToString();
            }

            if (position + 1 + length > message.Length) throw new InvalidDataException("a label runs past the end of the message");
            if (name.Length + length + 1 > MaxNameLength) throw new InvalidDataException("a name longer than 255 bytes");
            if (name.Length > 0) name.Append('.');
            foreach (var b in message.Slice(position + 1, length))
            {
                // Only what a name may hold shows as itself; anything else as \DDD, as zone files write it.
                if (b is > 0x20 and < 0x7F and not (byte)'.' and not (byte)'\\') name.Append((char)b);
                else name.Append('\\').Append(b.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            }

            position += 1 + length;
        }
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> message, ref int offset)
    {
        if (offset + 2 > message.Length) throw new InvalidDataException("the message is cut short");
        var value = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        offset += 2;
        return value;
    }
}
