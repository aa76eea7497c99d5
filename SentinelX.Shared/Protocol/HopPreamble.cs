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
/// How a hop connection is admitted (hop protocol <see cref="Version"/>), after the TLS or WebSocket
/// handshake (for ws, inside binary messages). The listener speaks first with a fresh nonce:
/// <code>
/// listener → dialer: "SXH2" | nonce (32)
/// dialer → listener: "SXH2" | kind (1) | rule id length (1) | rule id (UTF-8) | family (1: 4 or 6) | client address (4/16) | client port (2, BE) | mac (32)
/// mac = HMAC-SHA256(hop secret, nonce || every byte of the dialer's message before the mac)
/// </code>
/// The secret itself never crosses the network, and a captured answer is worthless on the next
/// connection (another nonce), so nobody who watches a plain tcp or ws hop can reuse it to skip the
/// entry's limits. The mac covers the client address, which the last hop puts into a PROXY protocol
/// header: it is trusted only because it comes from an authenticated hop. The listener closes the
/// connection without a word unless the rule id is the one it serves and the mac matches (compared in
/// constant time).
/// </summary>
/// <param name="Secret">The hop's secret; kept by both ends, never encoded.</param>
public sealed record HopPreamble(HopKind Kind, string RuleId, byte[] Secret, IPEndPoint Client)
{
    /// <summary>The hop protocol this build speaks; both Nodes of a hop must speak the same.</summary>
    public const int Version = 2;

    public const int SecretLength = 32;
    public const int NonceLength = 32;
    public const int MacLength = 32;

    /// <summary>Largest encoded preamble (IPv6 client and a 255-byte rule id).</summary>
    public const int MaxLength = 4 + 1 + 1 + 255 + 1 + 16 + 2 + MacLength;

    /// <summary>Largest UDP payload framed on a hop.</summary>
    public const int MaxDatagram = ushort.MaxValue;

    private static ReadOnlySpan<byte> Magic => "SXH2"u8;

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretLength);

    /// <summary>The listener's first message: the magic and a fresh nonce. The nonce is the last <see cref="NonceLength"/> bytes.</summary>
    public static byte[] NewChallenge()
    {
        var challenge = new byte[4 + NonceLength];
        Magic.CopyTo(challenge);
        RandomNumberGenerator.Fill(challenge.AsSpan(4));
        return challenge;
    }

    /// <summary>The dialer's answer to <paramref name="nonce"/>.</summary>
    public byte[] Encode(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceLength) throw new ArgumentException($"nonce must be {NonceLength} bytes", nameof(nonce));
        var id = Encoding.UTF8.GetBytes(RuleId);
        if (id.Length is 0 or > 255) throw new ArgumentException("rule id must be 1 to 255 UTF-8 bytes");
        if (Secret.Length != SecretLength) throw new ArgumentException($"secret must be {SecretLength} bytes");
        var client = Client.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(Client.Address.MapToIPv4(), Client.Port) : Client;
        var address = client.Address.GetAddressBytes();
        var buffer = new byte[4 + 1 + 1 + id.Length + 1 + address.Length + 2 + MacLength];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        span[4] = (byte)Kind;
        span[5] = (byte)id.Length;
        id.CopyTo(span[6..]);
        var at = 6 + id.Length;
        span[at++] = (byte)(address.Length == 4 ? 4 : 6);
        address.CopyTo(span[at..]);
        at += address.Length;
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)client.Port);
        at += 2;
        Mac(Secret, nonce, span[..at], span[at..]);
        return buffer;
    }

    /// <summary>
    /// The dialer's side: waits for the listener's challenge, then sends this preamble's answer.
    /// Throws <see cref="IOException"/> when the other end does not speak this hop protocol.
    /// </summary>
    public async Task SendAsync(Stream stream, CancellationToken ct)
    {
        var challenge = new byte[4 + NonceLength];
        if (!await FillAsync(stream, challenge, ct) || !challenge.AsSpan(0, 4).SequenceEqual(Magic))
            throw new IOException($"the next hop did not send a hop protocol {Version} challenge (is it a SentinelX Node of the same release?)");
        await stream.WriteAsync(Encode(challenge.AsSpan(4)), ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>
    /// The listener's side: sends a challenge and reads the answer. Returns the preamble only when it
    /// names <paramref name="ruleId"/> and proves <paramref name="secret"/> for this challenge; null
    /// otherwise (the caller closes).
    /// </summary>
    public static async Task<HopPreamble?> AcceptAsync(Stream stream, string ruleId, byte[] secret, CancellationToken ct)
    {
        var challenge = NewChallenge();
        await stream.WriteAsync(challenge, ct);
        await stream.FlushAsync(ct);
        return await ReadAsync(stream, ruleId, secret, challenge.AsMemory(4), ct);
    }

    /// <summary>Reads and checks an answer to <paramref name="nonce"/>; null when it is not a valid one for this rule and secret.</summary>
    public static async Task<HopPreamble?> ReadAsync(Stream stream, string ruleId, byte[] secret, ReadOnlyMemory<byte> nonce, CancellationToken ct)
    {
        var head = new byte[6];
        if (!await FillAsync(stream, head, ct) || !head.AsSpan(0, 4).SequenceEqual(Magic)) return null;
        var kind = (HopKind)head[4];
        if (kind is not (HopKind.Tcp or HopKind.Udp) || head[5] == 0) return null;
        var idLength = head[5];
        var rest = new byte[idLength + 1];
        if (!await FillAsync(stream, rest, ct)) return null;
        var family = rest[^1];
        if (family is not (4 or 6)) return null;
        var tail = new byte[(family == 4 ? 4 : 16) + 2 + MacLength];
        if (!await FillAsync(stream, tail, ct)) return null;

        var signed = new byte[head.Length + rest.Length + tail.Length - MacLength];
        head.CopyTo(signed, 0);
        rest.CopyTo(signed, head.Length);
        tail.AsSpan(0, tail.Length - MacLength).CopyTo(signed.AsSpan(head.Length + rest.Length));
        Span<byte> expected = stackalloc byte[MacLength];
        Mac(secret, nonce.Span, signed, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tail.AsSpan(tail.Length - MacLength))) return null;

        string id;
        try
        {
            id = new UTF8Encoding(false, true).GetString(rest, 0, idLength);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        if (!string.Equals(id, ruleId, StringComparison.Ordinal)) return null;
        var addressLength = family == 4 ? 4 : 16;
        var address = new IPAddress(tail.AsSpan(0, addressLength));
        var port = BinaryPrimitives.ReadUInt16BigEndian(tail.AsSpan(addressLength, 2));
        return new HopPreamble(kind, id, secret, new IPEndPoint(address, port));
    }

    private static void Mac(byte[] secret, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> message, Span<byte> mac)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(nonce);
        hmac.AppendData(message);
        hmac.GetHashAndReset(mac);
    }

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
