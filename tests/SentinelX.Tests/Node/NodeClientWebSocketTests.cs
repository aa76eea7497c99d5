using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SentinelX.Node.Connection;
using Xunit;

namespace SentinelX.Tests.Node;

/// <summary>
/// The Node's own WebSocket client: against Kestrel's server for everything a Core does, and against
/// a raw socket for what a broken or hostile server might send.
/// </summary>
public sealed class NodeClientWebSocketTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private WebApplication _kestrel = null!;
    private Uri _echo = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _kestrel = builder.Build();
        _kestrel.UseWebSockets();
        _kestrel.Map("/echo", EchoAsync);
        _kestrel.Map("/refuse", (HttpContext context) => Results.Problem(statusCode: 401, title: "Unauthorized"));
        _kestrel.Map(SentinelX.Shared.Protocol.ProtocolInfo.StreamPath, (HttpContext context) => Results.Problem(statusCode: 401, title: "Unauthorized"));
        await _kestrel.StartAsync();
        var address = _kestrel.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _echo = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/echo");
    }

    public async Task DisposeAsync() => await _kestrel.DisposeAsync();

    [Fact]
    public void Sha1_agrees_with_the_framework_and_RFC_6455()
    {
        var random = new Random(7);
        for (var length = 0; length <= 200; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
#pragma warning disable CA5350 // the reference the hand-written SHA-1 is checked against
            Assert.Equal(SHA1.HashData(data), Sha1.Hash(data));
#pragma warning restore CA5350
        }

        // RFC 6455 §1.3's example handshake.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketUpgrade.AcceptHash("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public void Masking_agrees_with_a_byte_by_byte_xor()
    {
        var random = new Random(11);
        const uint mask = 0xA1B2C3D4;
        var maskBytes = BitConverter.GetBytes(mask);
        foreach (var length in new[] { 0, 1, 3, 4, 5, 31, 32, 33, 63, 64, 65, 1000, 16384 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            var masked = new byte[length];
            NodeClientWebSocket.Mask(data, masked, mask);
            Assert.Equal(data.Select((b, i) => (byte)(b ^ maskBytes[i & 3])).ToArray(), masked);
        }
    }

    [Fact]
    public void Keys_are_random_and_well_formed()
    {
        var keys = Enumerable.Range(0, 50).Select(_ => WebSocketUpgrade.NewKey()).ToList();
        Assert.All(keys, key => Assert.True(WebSocketUpgrade.IsKey(key)));
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public async Task Messages_of_every_length_encoding_cross_a_Kestrel_socket_and_back()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = await CoreWebSocket.ConnectAsync(_echo, [new("X-Test", "yes")], TimeSpan.Zero, webProxy: null, cts.Token);
        var random = new Random(3);
        foreach (var length in new[] { 0, 1, 125, 126, 127, 65535, 65536, 300_000 })
        {
            var payload = new byte[length];
            random.NextBytes(payload);
            await socket.SendAsync(payload, WebSocketMessageType.Binary, true, cts.Token);
            var (type, echoed) = await ReceiveMessageAsync(socket, cts.Token);
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.Equal(payload, echoed);
        }

        // One text message sent in three pieces arrives whole.
        await socket.SendAsync("hello, "u8.ToArray(), WebSocketMessageType.Text, false, cts.Token);
        await socket.SendAsync("中文 "u8.ToArray(), WebSocketMessageType.Text, false, cts.Token);
        await socket.SendAsync("world"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        var (textType, text) = await ReceiveMessageAsync(socket, cts.Token);
        Assert.Equal(WebSocketMessageType.Text, textType);
        Assert.Equal("hello, 中文 world", Encoding.UTF8.GetString(text));

        // The server's headers check: the extra header arrived.
        await socket.SendAsync("header X-Test"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        Assert.Equal("yes", Encoding.UTF8.GetString((await ReceiveMessageAsync(socket, cts.Token)).Payload));

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task A_close_from_the_server_is_reported_and_answered()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = await CoreWebSocket.ConnectAsync(_echo, [], TimeSpan.Zero, webProxy: null, cts.Token);
        await socket.SendAsync("close 4001 bye"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        var result = await socket.ReceiveAsync(new byte[64].AsMemory(), cts.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketState.CloseReceived, socket.State);
        Assert.Equal((WebSocketCloseStatus)4001, socket.CloseStatus);
        Assert.Equal("bye", socket.CloseStatusDescription);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.SendAsync(new byte[1], WebSocketMessageType.Binary, true, cts.Token));
    }

    [Fact]
    public async Task A_refused_upgrade_carries_the_status_code()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var refused = new Uri(_echo, "/refuse");
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => CoreWebSocket.ConnectAsync(refused, [], TimeSpan.Zero, webProxy: null, cts.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);

        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var down = await Assert.ThrowsAsync<HttpRequestException>(() => CoreWebSocket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/x"), [], TimeSpan.Zero, webProxy: null, cts.Token));
        Assert.Null(down.StatusCode);
        Assert.IsType<SocketException>(down.InnerException);

        // The features that open data streams handle WebSocketException; a stream the Core refuses is one.
        var dialer = new SentinelX.Node.Remote.StreamDialer(new Uri(_echo, "/"), "node1", "sxn_secret");
        var stream = await Assert.ThrowsAsync<WebSocketException>(() => dialer.DialAsync("stream1", cts.Token));
        Assert.Equal(HttpStatusCode.Unauthorized, Assert.IsType<HttpRequestException>(stream.InnerException).StatusCode);
    }

    [Fact]
    public async Task Header_values_that_would_split_the_request_are_refused_before_sending()
    {
        await using var server = await RawServer.StartAsync(answer: true);
        using var cts = new CancellationTokenSource(Timeout);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            CoreWebSocket.ConnectAsync(server.Uri, [new("Authorization", "Bearer x\r\nX-Evil: 1")], TimeSpan.Zero, webProxy: null, cts.Token));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            CoreWebSocket.ConnectAsync(server.Uri, [new("Bad Name", "v")], TimeSpan.Zero, webProxy: null, cts.Token));
    }

    [Theory]
    [InlineData("wrong-accept")]
    [InlineData("extension")]
    [InlineData("hang-up")]
    [InlineData("not-http")]
    public async Task A_server_that_answers_the_upgrade_wrongly_is_refused(string how)
    {
        await using var server = await RawServer.StartAsync(answer: false);
        using var cts = new CancellationTokenSource(Timeout);
        var connecting = CoreWebSocket.ConnectAsync(server.Uri, [], TimeSpan.Zero, webProxy: null, cts.Token);
        var (stream, key) = await server.AcceptAsync(cts.Token);
        var accept = WebSocketUpgrade.AcceptHash(key);
        var response = how switch
        {
            "wrong-accept" => $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {WebSocketUpgrade.AcceptHash("AAAAAAAAAAAAAAAAAAAAAA==")}\r\n\r\n",
            "extension" => $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
            "hang-up" => "HTTP/1.1 101 Switch",
            _ => "SSH-2.0-OpenSSH_9.2\r\n\r\n",
        };
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), cts.Token);
        if (how == "hang-up") stream.Dispose();
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => connecting);
        if (how == "not-http") Assert.Equal((HttpStatusCode)0, ex.StatusCode);
    }

    [Theory]
    [InlineData("masked", new byte[] { 0x82, 0x81, 1, 2, 3, 4, 5 })]
    [InlineData("reserved bit", new byte[] { 0xC2, 0x01, 0x00 })]
    [InlineData("reserved opcode", new byte[] { 0x83, 0x00 })]
    [InlineData("continuation first", new byte[] { 0x80, 0x01, 0x00 })]
    [InlineData("fragmented ping", new byte[] { 0x09, 0x00 })]
    [InlineData("oversized ping", new byte[] { 0x89, 0x7E, 0x00, 0x80 })]
    [InlineData("length top bit", new byte[] { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1 })]
    [InlineData("one-byte close", new byte[] { 0x88, 0x01, 0x03 })]
    [InlineData("new message inside one", new byte[] { 0x01, 0x01, 0x41, 0x82, 0x00 })]
    [InlineData("cut off", new byte[] { 0x82, 0x7E, 0x10, 0x00, 1, 2, 3 })]
    public async Task Frames_that_break_the_protocol_abort_the_connection(string what, byte[] frames)
    {
        await using var server = await RawServer.StartAsync(answer: true);
        using var cts = new CancellationTokenSource(Timeout);
        var connecting = CoreWebSocket.ConnectAsync(server.Uri, [], TimeSpan.Zero, webProxy: null, cts.Token);
        var (stream, _) = await server.AcceptAsync(cts.Token);
        using var socket = await connecting;
        await stream.WriteAsync(frames, cts.Token);
        if (what == "cut off") stream.Dispose();

        var buffer = new byte[8192];
        var ex = await Assert.ThrowsAsync<WebSocketException>(async () =>
        {
            while (true) await socket.ReceiveAsync(buffer.AsMemory(), cts.Token);
        });
        Assert.Equal(WebSocketState.Aborted, socket.State);
        if (what == "cut off") Assert.Equal(WebSocketError.ConnectionClosedPrematurely, ex.WebSocketErrorCode);
    }

    [Fact]
    public async Task Pings_are_answered_with_their_payload_and_keep_alive_sends_pongs()
    {
        await using var server = await RawServer.StartAsync(answer: true);
        using var cts = new CancellationTokenSource(Timeout);
        var connecting = CoreWebSocket.ConnectAsync(server.Uri, [], TimeSpan.FromMilliseconds(100), webProxy: null, cts.Token);
        var (stream, _) = await server.AcceptAsync(cts.Token);
        using var socket = await connecting;

        // A ping between two halves of a message: the message arrives whole, the pong echoes "hi".
        await stream.WriteAsync(new byte[] { 0x01, 0x02, (byte)'a', (byte)'b', 0x89, 0x02, (byte)'h', (byte)'i', 0x80, 0x01, (byte)'c' }, cts.Token);
        var (type, payload) = await ReceiveMessageAsync(socket, cts.Token);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("abc", Encoding.ASCII.GetString(payload));

        // The answer to the ping and, from the 100 ms keep-alive, unsolicited empty pongs, in either order.
        var pongs = new List<string>();
        while (!pongs.Contains("hi") || pongs.Count(p => p.Length == 0) < 2)
        {
            var (opcode, data) = await RawServer.ReadClientFrameAsync(stream, cts.Token);
            Assert.Equal(0xA, opcode);
            pongs.Add(Encoding.ASCII.GetString(data));
        }

        Assert.Single(pongs, p => p == "hi");
    }

    [Fact]
    public async Task Client_frames_are_masked_with_fresh_masks()
    {
        await using var server = await RawServer.StartAsync(answer: true);
        using var cts = new CancellationTokenSource(Timeout);
        var connecting = CoreWebSocket.ConnectAsync(server.Uri, [], TimeSpan.Zero, webProxy: null, cts.Token);
        var (stream, _) = await server.AcceptAsync(cts.Token);
        using var socket = await connecting;
        var masks = new HashSet<uint>();
        for (var i = 0; i < 20; i++)
        {
            await socket.SendAsync("same text"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
            var header = new byte[6];
            await stream.ReadExactlyAsync(header, cts.Token);
            Assert.Equal(0x81, header[0]);
            Assert.Equal(0x80 | 9, header[1]);
            masks.Add(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2)));
            await stream.ReadExactlyAsync(new byte[9], cts.Token);
        }

        Assert.True(masks.Count >= 19, $"only {masks.Count} distinct masks in 20 frames");
    }

    [Fact]
    public async Task A_pending_receive_that_is_cancelled_aborts_the_socket()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = await CoreWebSocket.ConnectAsync(_echo, [], TimeSpan.Zero, webProxy: null, cts.Token);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await socket.ReceiveAsync(new byte[16].AsMemory(), cancel.Token));
        Assert.Equal(WebSocketState.Aborted, socket.State);
    }

    [Fact]
    public async Task The_connection_goes_through_an_http_proxy_with_credentials()
    {
        using var proxyListener = new TcpListener(IPAddress.Loopback, 0);
        proxyListener.Start();
        var proxyPort = ((IPEndPoint)proxyListener.LocalEndpoint).Port;
        var proxy = new WebProxy($"http://127.0.0.1:{proxyPort}") { BypassProxyOnLocal = false, Credentials = new NetworkCredential("fleet", "p@ss") };
        using var cts = new CancellationTokenSource(Timeout);

        var seen = new List<string>();
        var proxying = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                var client = await proxyListener.AcceptTcpClientAsync(cts.Token);
                var stream = client.GetStream();
                var head = await WebSocketUpgrade.ReadHeadAsync(stream, cts.Token) ?? "";
                seen.Add(head);
                if (i == 1)
                {
                    await stream.WriteAsync("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), cts.Token);
                    client.Dispose();
                    continue;
                }

                var upstream = new TcpClient();
                await upstream.ConnectAsync(IPAddress.Loopback, _echo.Port, cts.Token);
                await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), cts.Token);
                _ = Task.WhenAll(stream.CopyToAsync(upstream.GetStream(), cts.Token), upstream.GetStream().CopyToAsync(stream, cts.Token))
                    .ContinueWith(_ => { client.Dispose(); upstream.Dispose(); }, TaskScheduler.Default);
            }
        });

        using (var socket = await CoreWebSocket.ConnectAsync(_echo, [], TimeSpan.Zero, proxy, cts.Token))
        {
            await socket.SendAsync("through"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
            Assert.Equal("through", Encoding.UTF8.GetString((await ReceiveMessageAsync(socket, cts.Token)).Payload));
        }

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => CoreWebSocket.ConnectAsync(_echo, [], TimeSpan.Zero, proxy, cts.Token));
        Assert.Equal(HttpStatusCode.ProxyAuthenticationRequired, refused.StatusCode);
        await proxying;
        Assert.StartsWith($"CONNECT 127.0.0.1:{_echo.Port} HTTP/1.1", seen[0], StringComparison.Ordinal);
        Assert.Contains("Proxy-Authorization: Basic " + Convert.ToBase64String("fleet:p@ss"u8), seen[0], StringComparison.Ordinal);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(WebSocket socket, CancellationToken ct)
    {
        using var message = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return (result.MessageType, message.ToArray());
        }
    }

    /// <summary>Echoes each message; "close CODE REASON" closes with that status, "header NAME" answers the request header's value.</summary>
    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        while (socket.State == WebSocketState.Open)
        {
            var (type, payload) = await ReceiveMessageAsync(socket, context.RequestAborted);
            if (type == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                return;
            }

            var text = type == WebSocketMessageType.Text ? Encoding.UTF8.GetString(payload) : "";
            if (text.StartsWith("close ", StringComparison.Ordinal))
            {
                var parts = text.Split(' ');
                await socket.CloseOutputAsync((WebSocketCloseStatus)int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2], context.RequestAborted);
                await ReceiveMessageAsync(socket, context.RequestAborted);
                return;
            }

            var answer = text.StartsWith("header ", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(headers.GetValueOrDefault(text[7..]) ?? "") : payload;
            await socket.SendAsync(answer, type, true, context.RequestAborted);
        }
    }

    /// <summary>A socket that speaks just enough HTTP to upgrade, then lets the test write raw frames.</summary>
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly bool _answer;
        private readonly List<IDisposable> _clients = [];

        private RawServer(TcpListener listener, bool answer)
        {
            _listener = listener;
            _answer = answer;
        }

        public Uri Uri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/raw");

        public static Task<RawServer> StartAsync(bool answer)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return Task.FromResult(new RawServer(listener, answer));
        }

        /// <summary>Takes the next connection and its upgrade request; answers it with a correct 101 when the server was started to.</summary>
        public async Task<(NetworkStream Stream, string Key)> AcceptAsync(CancellationToken ct)
        {
            var client = await _listener.AcceptTcpClientAsync(ct);
            _clients.Add(client);
            var stream = client.GetStream();
            var head = await WebSocketUpgrade.ReadHeadAsync(stream, ct) ?? throw new IOException("no request");
            var key = WebSocketUpgrade.Parse(head).Headers["Sec-WebSocket-Key"];
            if (_answer)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + $"Sec-WebSocket-Accept: {WebSocketUpgrade.AcceptHash(key)}\r\n\r\n"), ct);
            }

            return (stream, key);
        }

        /// <summary>Reads one masked frame from the client; returns its opcode and unmasked payload.</summary>
        public static async Task<(int Opcode, byte[] Payload)> ReadClientFrameAsync(Stream stream, CancellationToken ct)
        {
            var header = new byte[2];
            await stream.ReadExactlyAsync(header, ct);
            Assert.True((header[1] & 0x80) != 0, "client frames must be masked");
            var length = header[1] & 0x7F;
            Assert.True(length < 126);
            var mask = new byte[4];
            await stream.ReadExactlyAsync(mask, ct);
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, ct);
            for (var i = 0; i < length; i++) payload[i] ^= mask[i & 3];
            return (header[0] & 0x0F, payload);
        }

        public ValueTask DisposeAsync()
        {
            foreach (var client in _clients) client.Dispose();
            _listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
