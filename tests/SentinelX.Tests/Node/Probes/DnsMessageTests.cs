using System.Buffers.Binary;
using FluentAssertions;
using SentinelX.Node.Probes;
using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>The DNS wire format: queries read back as written, real-shaped replies parse, malformed ones are refused and never loop.</summary>
public sealed class DnsMessageTests
{
    [Theory]
    [InlineData("example.com", DnsMessage.TypeA)]
    [InlineData("example.com.", DnsMessage.TypeAaaa)]
    [InlineData("_sip._udp.a-b.example", DnsMessage.TypeA)]
    public void A_query_reads_back_as_written(string name, ushort type)
    {
        var buffer = new byte[DnsMessage.MaxQuerySize];
        var length = DnsMessage.WriteQuery(buffer, 0xBEEF, name, type);

        var query = DnsMessage.Read(buffer.AsSpan(0, length));
        query.Id.Should().Be(0xBEEF);
        query.IsResponse.Should().BeFalse();
        query.QuestionName.Should().Be(name.TrimEnd('.'));
        query.QuestionType.Should().Be(type);
        query.Answers.Should().BeEmpty();
        (buffer[2] & 0x01).Should().Be(1, "recursion desired");
        length.Should().Be(12 + name.TrimEnd('.').Length + 2 + 4, "labels take a length byte each, plus the root");
    }

    [Fact]
    public void A_longest_name_fits_the_query_buffer()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61);
        name.Length.Should().Be(253);
        var buffer = new byte[DnsMessage.MaxQuerySize];
        DnsMessage.Read(buffer.AsSpan(0, DnsMessage.WriteQuery(buffer, 1, name, DnsMessage.TypeA))).QuestionName.Should().Be(name);
    }

    [Fact]
    public void A_compressed_reply_with_a_cname_chain_parses()
    {
        var reply = Reply(7, "www.example.com", DnsMessage.TypeA,
            // www.example.com CNAME web.example.com, both names compressed against the question.
            Record([0xC0, 12], DnsMessage.TypeCname, [3, .. "web"u8, 0xC0, 16]),
            // web.example.com (a pointer to the CNAME's data) A 192.0.2.7
            Record([0xC0, 12 + 17 + 4 + 12], DnsMessage.TypeA, [192, 0, 2, 7]));

        var parsed = DnsMessage.Read(reply);
        parsed.Id.Should().Be(7);
        parsed.IsResponse.Should().BeTrue();
        parsed.ResponseCode.Should().Be(DnsMessage.ResponseNoError);
        parsed.QuestionName.Should().Be("www.example.com");
        parsed.Answers.Select(a => (a.Name, a.Type)).Should().Equal(("www.example.com", DnsMessage.TypeCname), ("web.example.com", DnsMessage.TypeA));
        parsed.Answers[1].Data.Should().Equal(192, 0, 2, 7);
        parsed.Answers[1].Ttl.Should().Be(300);
    }

    [Fact]
    public void Every_cut_of_a_valid_reply_is_refused_as_malformed()
    {
        var reply = Reply(7, "www.example.com", DnsMessage.TypeA, Record([0xC0, 12], DnsMessage.TypeA, [192, 0, 2, 7]));
        DnsMessage.Read(reply).Answers.Should().ContainSingle();
        for (var length = 0; length < reply.Length; length++)
        {
            var cut = reply[..length];
            var act = () => DnsMessage.Read(cut);
            act.Should().Throw<InvalidDataException>($"a reply cut to {length} bytes is incomplete");
        }
    }

    [Fact]
    public void Compression_pointers_that_loop_or_lead_forward_are_refused()
    {
        // The question's name is a pointer to itself.
        var self = Header(1, answers: 0).Concat(new byte[] { 0xC0, 12, 0, 1, 0, 1 }).ToArray();
        Malformed(self).Should().Contain("loop");

        // The answer's name points forward, to its own type field.
        var forward = Reply(1, "a.example", DnsMessage.TypeA, Record([0xC0, 12 + 11 + 4 + 2], DnsMessage.TypeA, [1, 2, 3, 4]));
        Malformed(forward).Should().Contain("backwards");

        // A label, then a pointer back to where the same name began: backwards from the pointer, and
        // still a loop; only "before everything read so far" stops it.
        var first = 12 + 11 + 4;
        var backToItsStart = Reply(1, "a.example", DnsMessage.TypeA, Record([1, (byte)'x', 0xC0, (byte)first], DnsMessage.TypeA, [1, 2, 3, 4]));
        Malformed(backToItsStart).Should().Contain("loop");
    }

    [Fact]
    public void Other_malformations_are_named()
    {
        Malformed([.. Header(1, answers: 0, questions: 0)]).Should().Contain("0 questions");
        Malformed([.. Header(1, answers: 0), 0x80, 0]).Should().Contain("unknown label type");
        var longName = Enumerable.Range(0, 5).SelectMany(_ => new byte[] { 63 }.Concat(Enumerable.Repeat((byte)'a', 63))).Append((byte)0);
        Malformed([.. Header(1, answers: 0), .. longName, 0, 1, 0, 1]).Should().Contain("longer than 255");
        var oversized = Reply(1, "a.example", DnsMessage.TypeA, Record([0xC0, 12], DnsMessage.TypeA, [1, 2, 3, 4]));
        BinaryPrimitives.WriteUInt16BigEndian(oversized.AsSpan(oversized.Length - 6), 400);
        Malformed(oversized).Should().Contain("runs past the end");
    }

    [Fact]
    public void Odd_bytes_in_a_name_show_escaped()
    {
        var reply = Header(1, answers: 0).Concat(new byte[] { 3, (byte)'a', (byte)'.', 0x07, 0, 0, 1, 0, 1 }).ToArray();
        DnsMessage.Read(reply).QuestionName.Should().Be("a\\046\\007");
    }

    private static string Malformed(byte[] message)
    {
        var act = () => DnsMessage.Read(message);
        return act.Should().Throw<InvalidDataException>().Which.Message;
    }

    /// <summary>A reply header: response, recursion desired and available, NOERROR.</summary>
    internal static byte[] Header(ushort id, int answers, int questions = 1, int code = 0, bool truncated = false)
    {
        var header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(0x8180 | (truncated ? 0x0200 : 0) | code));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)questions);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)answers);
        return header;
    }

    /// <summary>A reply to one question with the given answer records (already encoded).</summary>
    internal static byte[] Reply(ushort id, string name, ushort type, params byte[][] records) =>
        [.. Header(id, records.Length), .. Name(name), .. Short(type), 0, 1, .. records.SelectMany(r => r)];

    internal static byte[] Reply(ushort id, string name, ushort type, int code, bool truncated = false) =>
        [.. Header(id, 0, code: code, truncated: truncated), .. Name(name), .. Short(type), 0, 1];

    /// <summary>One record: owner name bytes, type, class IN, TTL 300, data.</summary>
    internal static byte[] Record(byte[] owner, ushort type, byte[] data) =>
        [.. owner, .. Short(type), 0, 1, 0, 0, 1, 44, .. Short((ushort)data.Length), .. data];

    private static byte[] Name(string name) =>
        [.. name.Split('.').SelectMany(l => new[] { (byte)l.Length }.Concat(System.Text.Encoding.ASCII.GetBytes(l))), 0];

    private static byte[] Short(ushort value) => [(byte)(value >> 8), (byte)value];
}
