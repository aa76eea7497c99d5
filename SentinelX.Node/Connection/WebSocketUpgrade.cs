using System.Globalization;
using System.Net;
using System.Text;

namespace SentinelX.Node.Connection;

/// <summary>
/// The HTTP/1.1 side of a WebSocket upgrade (RFC 6455 §4) shared by the Node's connection to its
/// Core and by ws/wss hops: reading a response or request head, the key and the accept hash.
/// </summary>
internal static class WebSocketUpgrade
{
    private const int MaxHeadBytes = 16 * 1024;
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>A fresh Sec-WebSocket-Key: 16 random bytes, base64.</summary>
    public static string NewKey()
    {
        Span<byte> nonce = stackalloc byte[16];
        Native.FillRandom(nonce);
        return Convert.ToBase64String(nonce);
    }

    /// <summary>The Sec-WebSocket-Accept a server must answer <paramref name="key"/> with.</summary>
    public static string AcceptHash(string key) =>
        Convert.ToBase64String(Sha1.Hash(Encoding.ASCII.GetBytes(key + AcceptGuid)));

    /// <summary>True when <paramref name="key"/> is a well-formed Sec-WebSocket-Key (16 bytes, base64).</summary>
    public static bool IsKey(string? key)
    {
        Span<byte> decoded = stackalloc byte[24];
        return key is not null && Convert.TryFromBase64String(key, decoded, out var length) && length == 16;
    }

    /// <summary>
    /// Sends a client's upgrade request for <paramref name="pathAndQuery"/> with <paramref name="headers"/>
    /// and reads the answer's head; null when the peer closed before answering. The caller decides what
    /// a refusal means; <see cref="UpgradeAnswer.AcceptMatches"/> says whether the peer hashed our key.
    /// </summary>
    public static async Task<UpgradeAnswer?> RequestAsync(
        Stream transport, string host, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken ct)
    {
        var key = NewKey();
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"GET {pathAndQuery} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: sentinelx-node\r\n");
        foreach (var (name, value) in headers)
        {
            if (!IsVisibleAscii(name) || value.Any(c => c is '\r' or '\n' or > (char)0x7e))
                throw new ArgumentException($"the header {name} cannot be sent", nameof(headers));
            request.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        await transport.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), ct);
        await transport.FlushAsync(ct);
        if (await ReadHeadAsync(transport, ct) is not { } head) return null;
        var (statusLine, answerHeaders) = Parse(head);
        return new UpgradeAnswer(statusLine, StatusOf(statusLine), answerHeaders,
            string.Equals(answerHeaders.GetValueOrDefault("Sec-WebSocket-Accept"), AcceptHash(key), StringComparison.Ordinal));
    }

    /// <summary>The status code of an HTTP/1.x status line; 0 when the line is not one.</summary>
    public static HttpStatusCode StatusOf(string statusLine)
    {
        var parts = statusLine.Split(' ', 3);
        return parts.Length >= 2 && parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 999
            ? (HttpStatusCode)code
            : 0;
    }

    /// <summary>
    /// Reads up to the blank line one byte at a time: whatever follows it already belongs to the
    /// WebSocket (a server may send the first frame right behind its 101), so nothing may be read ahead.
    /// Null when the peer closes first or the head is larger than 16 KB.
    /// </summary>
    public static async Task<string?> ReadHeadAsync(Stream transport, CancellationToken ct)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            if (await transport.ReadAsync(buffer.AsMemory(length, 1), ct) == 0) return null;
            length++;
            if (length >= 4 && buffer.AsSpan(length - 4, 4).SequenceEqual(EndOfHead))
                return Encoding.Latin1.GetString(buffer, 0, length - 4);
        }

        return null;
    }

    /// <summary>Splits a head into its first line and its headers (repeated headers joined with ", ").</summary>
    public static (string FirstLine, Dictionary<string, string> Headers) Parse(string head)
    {
        var lines = head.Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? $"{earlier}, {value}" : value;
        }

        return (lines[0], headers);
    }

    /// <summary>True when the comma-separated header <paramref name="value"/> holds <paramref name="token"/> (case-insensitive).</summary>
    public static bool HasToken(string? value, string token) =>
        value is not null && value.Split(',').Any(part => part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when <paramref name="value"/> is non-empty and only visible ASCII, so it fits a request line or header.</summary>
    public static bool IsVisibleAscii(string value) => value.Length > 0 && value.All(c => c is > ' ' and < (char)0x7f);
}

/// <summary>A peer's answer to an upgrade request: its status line and code, its headers, and whether it hashed our key.</summary>
internal sealed record UpgradeAnswer(string StatusLine, HttpStatusCode Status, Dictionary<string, string> Headers, bool AcceptMatches);
