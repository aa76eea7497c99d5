using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace SentinelX.Node.Connection;

/// <summary>
/// Opens a WebSocket to the Core (ws:// or wss://, through the HTTP proxy the environment names, as
/// HttpClient would) and hands it over as a <see cref="NodeClientWebSocket"/>. A refused upgrade
/// throws <see cref="HttpRequestException"/> with the Core's status code, so callers can tell an
/// unknown identity (401) or a revoked Node (403) from a network failure (no status).
/// </summary>
internal static class CoreWebSocket
{
#pragma warning disable CA2000 // one variable holds the outermost stream; finally disposes it unless the socket took it over
    /// <param name="webProxy">The proxy settings; null takes the environment's (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), as HttpClient does.</param>
    public static async Task<WebSocket> ConnectAsync(
        Uri uri, IEnumerable<KeyValuePair<string, string>> headers, TimeSpan keepAliveInterval, IWebProxy? webProxy, CancellationToken ct)
    {
        var secure = uri.Scheme == "wss";
        var target = new UriBuilder(uri) { Scheme = secure ? Uri.UriSchemeHttps : Uri.UriSchemeHttp }.Uri;
        webProxy ??= HttpClient.DefaultProxy;
        var proxy = webProxy.IsBypassed(target) ? null : webProxy.GetProxy(target);

        Stream? stream = null;
        try
        {
            stream = await OpenTcpAsync(proxy ?? uri, ct);
            if (proxy is not null) await TunnelAsync(stream, proxy, webProxy.Credentials, uri, ct);
            if (secure)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.IdnHost }, ct);
            }

            await UpgradeAsync(stream, uri, headers, ct);
            var socket = new NodeClientWebSocket(stream, keepAliveInterval);
            stream = null;
            return socket;
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            throw new HttpRequestException($"cannot open a WebSocket to {uri.GetLeftPart(UriPartial.Authority)}: {ex.Message}", ex);
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync();
        }
    }

#pragma warning restore CA2000

#pragma warning disable CA2000 // the NetworkStream owns the socket; the socket is disposed here only when connecting fails
    private static async Task<Stream> OpenTcpAsync(Uri endpoint, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint.IdnHost, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
#pragma warning restore CA2000

    /// <summary>HTTP CONNECT through a forward proxy (RFC 9110 §9.3.6), with Basic credentials when the environment gives some.</summary>
    private static async Task TunnelAsync(Stream stream, Uri proxy, ICredentials? credentials, Uri uri, CancellationToken ct)
    {
        var authority = Authority(uri);
        var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if (credentials?.GetCredential(proxy, "Basic") is { } credential)
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.UserName}:{credential.Password}"));
            request.Append(CultureInfo.InvariantCulture, $"Proxy-Authorization: Basic {token}\r\n");
        }

        await WriteAsync(stream, request.Append("\r\n").ToString(), ct);
        var head = await WebSocketUpgrade.ReadHeadAsync(stream, ct) ?? throw new IOException($"the proxy {proxy.Authority} closed the connection");
        var status = WebSocketUpgrade.StatusOf(WebSocketUpgrade.Parse(head).FirstLine);
        if (status != HttpStatusCode.OK)
            throw new HttpRequestException($"the proxy {proxy.Authority} refused to connect to {authority}: HTTP {(int)status}", null, status);
    }

    private static async Task UpgradeAsync(Stream stream, Uri uri, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken ct)
    {
        var answer = await WebSocketUpgrade.RequestAsync(stream, Authority(uri), uri.PathAndQuery, headers, ct)
            ?? throw new IOException("the Core closed the connection during the WebSocket upgrade");
        if (answer.Status != HttpStatusCode.SwitchingProtocols)
            throw new HttpRequestException($"the Core refused the WebSocket upgrade: HTTP {(int)answer.Status}", null, answer.Status);
        if (!WebSocketUpgrade.HasToken(answer.Headers.GetValueOrDefault("Upgrade"), "websocket")
            || !WebSocketUpgrade.HasToken(answer.Headers.GetValueOrDefault("Connection"), "upgrade")
            || !answer.AcceptMatches)
            throw new IOException("the Core answered the WebSocket upgrade with wrong Upgrade, Connection or Sec-WebSocket-Accept headers");
        if (answer.Headers.ContainsKey("Sec-WebSocket-Extensions") || answer.Headers.ContainsKey("Sec-WebSocket-Protocol"))
            throw new IOException("the Core chose a WebSocket extension or subprotocol the Node never offered");
    }

    private static string Authority(Uri uri)
    {
        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost;
        return uri.IsDefaultPort ? host : $"{host}:{uri.Port}";
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct);
        await stream.FlushAsync(ct);
    }
}
