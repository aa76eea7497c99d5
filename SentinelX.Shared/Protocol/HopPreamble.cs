using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace SentinelX.Shared.Protocol;

/// <summary>What a hop connection carries after its preamble.</summary>
public enum HopKind : byte
{
    /// <summary>One TCP connection's bytes, both ways, unframed.</summary>
    Tcp = (byte)'T',

    /// <summary>One UDP client session: datagrams framed as a 2-byte big-endian length and the payload, both ways.</summary>
    Udp = (byte)'U',
}

/// <summary>
/// The first bytes on every hop-to-hop connection, after the TLS or WebSocket handshake (for ws,
/// inside the first binary message):
/// <code>
/// "SXH1" | kind (1) | rule id length (1) | rule id (UTF-8) | secret (32) | family (1: 4 or 6) | client address (4/16) | client port (2, BE)
/// </code>
/// The listener closes the connection without a word unless the rule id is the one it serves and
/// the secret matches (compared in constant time). The client address travels so the last hop can
/// send it to the target in a PROXY protocol header.
/// </summary>
public sealed record HopPreamble(HopKind Kind, string RuleId, byte[] Secret, IPEndPoint Client)
{
    public const int SecretLength = 32;

    /// <summary>Largest encoded preamble (IPv6 client and a 255-byte rule id).</summary>
    public const int MaxLength = 4 + 1 + 1 + 255 + SecretLength + 1 + 16 + 2;

    /// <summary>Largest UDP payload framed on a hop.</summary>
    public const int MaxDatagram = ushort.MaxValue;

    private static ReadOnlySpan<byte> Magic => "SXH1"u8;

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretLength);

    public byte[] Encode()
    {
        var id = Encoding.UTF8.GetBytes(RuleId);
        if (id.Length is 0 or > 255) throw new ArgumentException("rule id must be 1 to 255 UTF-8 bytes");
        if (Secret.Length != SecretLength) throw new ArgumentException($"secret must be {SecretLength} bytes");
        var client = Client.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(Client.Address.MapToIPv4(), Client.Port) : Client;
        var address = client.Address.GetAddressBytes();
        var buffer = new byte[4 + 1 + 1 + id.Length + SecretLength + 1 + address.Length + 2];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        span[4] = (byte)Kind;
        span[5] = (byte)id.Length;
        id.CopyTo(span[6..]);
        var at = 6 + id.Length;
        Secret.CopyTo(span[at..]);
        at += SecretLength;
        span[at++] = (byte)(address.Length == 4 ? 4 : 6);
        address.CopyTo(span[at..]);
        at += address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)client.Port);
        return buffer;
    }

    /// <summary>Reads a preamble from <paramref name="stream"/>; null when the bytes are not one (the caller closes).</summary>
    public static async Task<HopPreamble?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var head = new byte[6];
        if (!await FillAsync(stream, head, ct) || !head.AsSpan(0, 4).SequenceEqual(Magic)) return null;
        var kind = (HopKind)head[4];
        if (kind is not (HopKind.Tcp or HopKind.Udp) || head[5] == 0) return null;
        var rest = new byte[head[5] + SecretLength + 1];
        if (!await FillAsync(stream, rest, ct)) return null;
        var family = rest[^1];
        if (family is not (4 or 6)) return null;
        var tail = new byte[(family == 4 ? 4 : 16) + 2];
        if (!await FillAsync(stream, tail, ct)) return null;
        string ruleId;
        try
        {
            ruleId = new UTF8Encoding(false, true).GetString(rest, 0, head[5]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        var secret = rest.AsSpan(head[5], SecretLength).ToArray();
        var address = new IPAddress(tail.AsSpan(0, tail.Length - 2));
        var port = BinaryPrimitives.ReadUInt16BigEndian(tail.AsSpan(tail.Length - 2));
        return new HopPreamble(kind, ruleId, secret, new IPEndPoint(address, port));
    }

    /// <summary>True when this preamble may use a listener serving <paramref name="ruleId"/> with <paramref name="secret"/>.</summary>
    public bool Admits(string ruleId, byte[] secret) =>
        CryptographicOperations.FixedTimeEquals(Secret, secret) && string.Equals(RuleId, ruleId, StringComparison.Ordinal);

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0) return false;
            read += n;
        }

        return true;
    }
}
