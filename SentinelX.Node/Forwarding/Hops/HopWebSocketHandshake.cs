using System.Net.WebSockets;
using System.Text;
using SentinelX.Node.Connection;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>
/// The HTTP/1.1 upgrade of ws and wss hops (RFC 6455 §4), written by hand so the Node needs neither
/// Kestrel nor HttpClient. The listener accepts any Host header and ignores X-Forwarded-* so it
/// works behind a reverse proxy or CDN that routes on the path.
/// </summary>
internal static class HopWebSocketHandshake
{
    // Keeps idle hops alive through proxies and CDNs that close silent connections after a minute or so.
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(25);

    /// <summary>Sends the upgrade request on <paramref name="transport"/> and returns the hop as a stream; throws <see cref="IOException"/> if refused.</summary>
    public static async Task<Stream> ConnectAsync(Stream transport, HopDial next, CancellationToken ct)
    {
        var host = next.HostHeader ?? DefaultHostHeader(next);
        if (!WebSocketUpgrade.IsVisibleAscii(host) || !WebSocketUpgrade.IsVisibleAscii(next.Path))
            throw new ArgumentException($"hop Host header \"{host}\" or path \"{next.Path}\" holds characters an HTTP request line cannot carry", nameof(next));
        var answer = await WebSocketUpgrade.RequestAsync(transport, host, RequestPath(next.Path), [], ct)
            ?? throw new IOException($"hop {next.Host}:{next.Port} closed the connection during the WebSocket upgrade");
        if (!answer.StatusLine.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            throw new IOException($"hop {next.Host}:{next.Port} refused the WebSocket upgrade of {next.Path}: {answer.StatusLine}");
        if (!answer.AcceptMatches)
            throw new IOException($"hop {next.Host}:{next.Port} answered the WebSocket upgrade with a wrong Sec-WebSocket-Accept");

        return Wrap(transport, isServer: false);
    }

    /// <summary>Reads and answers an upgrade request for <paramref name="path"/>; null when it is not one (the caller closes).</summary>
    public static async Task<Stream?> AcceptAsync(Stream transport, string path, CancellationToken ct)
    {
        var head = await WebSocketUpgrade.ReadHeadAsync(transport, ct);
        if (head is null) return null;
        var (requestLine, headers) = WebSocketUpgrade.Parse(head);
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || parts[0] != "GET" || parts[2] != "HTTP/1.1") return null;

        var target = parts[1];
        var query = target.IndexOf('?', StringComparison.Ordinal);
        if (!string.Equals(query < 0 ? target : target[..query], RequestPath(path), StringComparison.Ordinal))
        {
            await ReplyAsync(transport, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", ct);
            return null;
        }

        var key = Header(headers, "Sec-WebSocket-Key");
        if (!WebSocketUpgrade.HasToken(Header(headers, "Upgrade"), "websocket") || !WebSocketUpgrade.HasToken(Header(headers, "Connection"), "upgrade")
            || Header(headers, "Sec-WebSocket-Version") != "13" || !WebSocketUpgrade.IsKey(key))
        {
            await ReplyAsync(transport, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", ct);
            return null;
        }

        await ReplyAsync(transport, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Accept: {WebSocketUpgrade.AcceptHash(key!)}\r\n\r\n", ct);
        return Wrap(transport, isServer: true);
    }

#pragma warning disable CA2000 // the returned WebSocketStream owns the socket and disposes it with the transport
    private static WebSocketStream Wrap(Stream transport, bool isServer) =>
        new(WebSocket.CreateFromStream(transport, new WebSocketCreationOptions { IsServer = isServer, KeepAliveInterval = KeepAlive }), transport);
#pragma warning restore CA2000

    /// <summary>A path configured without its leading slash still names the same resource on both sides.</summary>
    private static string RequestPath(string path) => path.StartsWith('/') ? path : "/" + path;

    private static string DefaultHostHeader(HopDial next)
    {
        var host = next.Host.Contains(':', StringComparison.Ordinal) ? $"[{next.Host}]" : next.Host;
        var defaultPort = next.Transport == HopTransports.Wss ? 443 : 80;
        return next.Port == defaultPort ? host : $"{host}:{next.Port}";
    }

    private static async Task ReplyAsync(Stream transport, string response, CancellationToken ct)
    {
        await transport.WriteAsync(Encoding.ASCII.GetBytes(response), ct);
        await transport.FlushAsync(ct);
    }

    private static string? Header(Dictionary<string, string> headers, string name) => headers.GetValueOrDefault(name);
}
