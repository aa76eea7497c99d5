using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.Node.Forwarding.Copy;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Forwarding.Hops;

/// <summary>Hop connections over real loopback sockets: every transport carries bytes intact and admits only the previous hop.</summary>
public sealed class HopTransportTests : IDisposable
{
    private readonly X509Certificate2 _authority = TestHopCertificates.CreateAuthority();
    private readonly HopCredentials _entry;
    private readonly HopCredentials _exit;

    public HopTransportTests()
    {
        _entry = TestHopCertificates.Issue(_authority, HopTestBench.EntryNode);
        _exit = TestHopCertificates.Issue(_authority, HopTestBench.ExitNode);
    }

    public void Dispose()
    {
        _entry.Dispose();
        _exit.Dispose();
        _authority.Dispose();
    }

    [Theory]
    [InlineData(HopTransports.Tcp)]
    [InlineData(HopTransports.Tls)]
    [InlineData(HopTransports.Ws)]
    [InlineData(HopTransports.Wss)]
    public async Task Carries_16_MiB_both_ways_unchanged(string transport)
    {
        await using var bench = HopTestBench.Start(transport, _exit);
        await using var hop = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);

        var (sent, received) = await HopTestBench.EchoAsync(hop, HopTestBench.Preamble(bench.Listen.Secret), 16 * 1024 * 1024);

        received.Should().Equal(sent);
        bench.Admitted.Should().Be(1);
    }

    [Theory]
    [InlineData(HopTransports.Tcp)]
    [InlineData(HopTransports.Tls)]
    [InlineData(HopTransports.Ws)]
    [InlineData(HopTransports.Wss)]
    public async Task A_wrong_secret_or_rule_id_is_dropped_and_the_right_hop_still_gets_through(string transport)
    {
        await using var bench = HopTestBench.Start(transport, _exit);

        (await HopTestBench.IsDroppedAsync(() => HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None),
            HopTestBench.Preamble(HopPreamble.NewSecret()))).Should().BeTrue();
        (await HopTestBench.IsDroppedAsync(() => HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None),
            HopTestBench.Preamble(bench.Listen.Secret, ruleId: "rule-8"))).Should().BeTrue();
        bench.Admitted.Should().Be(0);

        await using var hop = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);
        var (sent, received) = await HopTestBench.EchoAsync(hop, HopTestBench.Preamble(bench.Listen.Secret), 4096);
        received.Should().Equal(sent);
        bench.Admitted.Should().Be(1);
    }

    [Theory]
    [InlineData(HopTransports.Tcp)]
    [InlineData(HopTransports.Tls)]
    [InlineData(HopTransports.Ws)]
    [InlineData(HopTransports.Wss)]
    public async Task A_captured_preamble_replayed_to_the_listener_is_refused(string transport)
    {
        await using var bench = HopTestBench.Start(transport, _exit);
        var preamble = HopTestBench.Preamble(bench.Listen.Secret);
        byte[] captured;
        byte[] firstNonce;
        await using (var hop = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None))
        {
            firstNonce = await ReadChallengeAsync(hop);
            captured = preamble.Encode(firstNonce);
            await hop.WriteAsync(captured);
            var (sent, received) = await HopTestBench.EchoAsync(hop, 4096);
            received.Should().Equal(sent, "the genuine answer is admitted");
        }

        // Someone who saw those bytes on the wire sends them again on a new connection.
        await using (var replay = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None))
        {
            var nonce = await ReadChallengeAsync(replay);
            nonce.Should().NotEqual(firstNonce, "every connection gets a fresh nonce");
            (await IsDroppedAfterAsync(replay, captured)).Should().BeTrue();
        }

        bench.Admitted.Should().Be(1);
    }

    [Theory]
    [InlineData(HopTransports.Tcp, "mac")]
    [InlineData(HopTransports.Tcp, "client")]
    [InlineData(HopTransports.Tcp, "kind")]
    [InlineData(HopTransports.Ws, "mac")]
    [InlineData(HopTransports.Ws, "client")]
    [InlineData(HopTransports.Tls, "mac")]
    public async Task A_wrong_hmac_or_a_changed_client_address_is_refused(string transport, string tamper)
    {
        await using var bench = HopTestBench.Start(transport, _exit);
        await using var hop = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);
        var answer = HopTestBench.Preamble(bench.Listen.Secret).Encode(await ReadChallengeAsync(hop));
        // 203.0.113.9 sits right after "SXH2", kind, id length, "rule-7" and the family byte.
        var at = tamper switch { "mac" => answer.Length - 1, "client" => 4 + 1 + 1 + HopTestBench.RuleId.Length + 1 + 3, _ => 4 };
        answer[at] = tamper == "kind" ? (byte)HopKind.Udp : (byte)(answer[at] ^ 1);

        (await IsDroppedAfterAsync(hop, answer)).Should().BeTrue();
        bench.Admitted.Should().Be(0);
    }

    [Fact]
    public async Task A_dialer_of_the_old_protocol_that_sends_its_secret_in_clear_is_refused()
    {
        await using var bench = HopTestBench.Start(HopTransports.Tcp, _exit);
        using var old = new TcpClient();
        await old.ConnectAsync(IPAddress.Loopback, bench.Listen.Port);
        var stream = old.GetStream();
        // "SXH1" | 'T' | id length | id | secret | family | address | port: the secret itself, replayable.
        var id = Encoding.UTF8.GetBytes(HopTestBench.RuleId);
        byte[] legacy = [.. "SXH1"u8, (byte)'T', (byte)id.Length, .. id, .. bench.Listen.Secret, 4, 203, 0, 113, 9, 0x9c, 0x40];

        (await IsDroppedAfterAsync(stream, legacy, unread: 4 + HopPreamble.NonceLength)).Should().BeTrue();
        bench.Admitted.Should().Be(0);
    }

    private static async Task<byte[]> ReadChallengeAsync(Stream hop)
    {
        var challenge = new byte[4 + HopPreamble.NonceLength];
        await hop.ReadExactlyAsync(challenge).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Encoding.ASCII.GetString(challenge, 0, 4).Should().Be("SXH2");
        return challenge[4..];
    }

    /// <summary>Sends <paramref name="bytes"/> and a greeting; true when the listener then closes without echoing anything.</summary>
    /// <param name="unread">What the listener may still send before closing (its challenge, when not read yet).</param>
    private static async Task<bool> IsDroppedAfterAsync(Stream hop, byte[] bytes, int unread = 0)
    {
        try
        {
            await hop.WriteAsync(bytes);
            await hop.WriteAsync("hello?"u8.ToArray());
            var buffer = new byte[64];
            var total = 0;
            while (true)
            {
                var n = await hop.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
                if (n == 0) return total == unread;
                total += n;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Net.WebSockets.WebSocketException)
        {
            return true;
        }
    }

    [Theory]
    [InlineData(HopTransports.Tcp)]
    [InlineData(HopTransports.Tls)]
    [InlineData(HopTransports.Ws)]
    [InlineData(HopTransports.Wss)]
    public async Task Framed_datagrams_keep_their_boundaries(string transport)
    {
        await using var bench = HopTestBench.Start(transport, _exit);
        await using var hop = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);
        await (HopTestBench.Preamble(bench.Listen.Secret) with { Kind = HopKind.Udp }).SendAsync(hop, CancellationToken.None);
        int[] sizes = [1, 0, 1400, HopPreamble.MaxDatagram, 3, 9000];
        var datagrams = sizes.Select(size => System.Security.Cryptography.RandomNumberGenerator.GetBytes(size)).ToArray();

        foreach (var datagram in datagrams) await DatagramFraming.WriteAsync(hop, datagram, CancellationToken.None);

        var buffer = new byte[HopPreamble.MaxDatagram];
        foreach (var datagram in datagrams)
        {
            var length = await DatagramFraming.ReadAsync(hop, buffer, CancellationToken.None);
            buffer.AsSpan(0, length).ToArray().Should().Equal(datagram);
        }
    }

    [Theory]
    [InlineData(HopTransports.Tcp)]
    [InlineData(HopTransports.Tls)]
    [InlineData(HopTransports.Ws)]
    [InlineData(HopTransports.Wss)]
    public async Task Waiting_for_data_holds_until_bytes_come_and_consumes_none(string transport)
    {
        await using var bench = HopTestBench.Start(transport, _exit);
        await using var hop = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);
        await HopTestBench.Preamble(bench.Listen.Secret).SendAsync(hop, CancellationToken.None);

        // The copier's wait: a bare zero-byte read on a socket may end on a stale readiness event
        // (the challenge's), which DataWait tells apart from data.
        var waiting = DataWait.ForStreamAsync(hop, CancellationToken.None).AsTask();
        await Task.Delay(300);
        waiting.IsCompleted.Should().BeFalse("nothing has been sent yet");
        await hop.WriteAsync("ping"u8.ToArray());
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        var buffer = new byte[16];
        var read = 0;
        while (read < 4) read += await hop.ReadAsync(buffer.AsMemory(read));
        Encoding.ASCII.GetString(buffer, 0, read).Should().Be("ping");
    }

    [Fact]
    public async Task Tls_listener_drops_a_client_certificate_from_another_authority()
    {
        using var otherAuthority = TestHopCertificates.CreateAuthority("Someone else's CA");
        using var impostor = TestHopCertificates.Issue(otherAuthority, HopTestBench.EntryNode);
        await using var bench = HopTestBench.Start(HopTransports.Tls, _exit);

        (await HopTestBench.IsDroppedAsync(() => HopTransport.DialAsync(bench.Dial(), impostor, CancellationToken.None),
            HopTestBench.Preamble(bench.Listen.Secret))).Should().BeTrue();

        bench.Admitted.Should().Be(0);
    }

    [Fact]
    public async Task Tls_listener_drops_a_certificate_of_the_right_authority_naming_another_node()
    {
        using var neighbour = TestHopCertificates.Issue(_authority, "some-other-node");
        await using var bench = HopTestBench.Start(HopTransports.Tls, _exit);

        (await HopTestBench.IsDroppedAsync(() => HopTransport.DialAsync(bench.Dial(), neighbour, CancellationToken.None),
            HopTestBench.Preamble(bench.Listen.Secret))).Should().BeTrue();

        bench.Admitted.Should().Be(0);
    }

    [Theory]
    [InlineData(HopTransports.Tls)]
    [InlineData(HopTransports.Wss)]
    public async Task Dialer_refuses_a_listener_that_is_not_the_expected_node(string transport)
    {
        using var otherAuthority = TestHopCertificates.CreateAuthority("Someone else's CA");
        using var foreign = TestHopCertificates.Issue(otherAuthority, HopTestBench.ExitNode);
        using var neighbour = TestHopCertificates.Issue(_authority, "some-other-node");

        foreach (var listener in new[] { foreign, neighbour })
        {
            await using var bench = HopTestBench.Start(transport, listener);
            var dialing = () => HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);
            await dialing.Should().ThrowAsync<AuthenticationException>();
        }
    }

    [Fact]
    public async Task Tls_listener_drops_plain_tcp_garbage_and_silence_without_disturbing_a_served_hop()
    {
        await using var bench = HopTestBench.Start(HopTransports.Tls, _exit);
        await using var served = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);
        var (before, echoedBefore) = await HopTestBench.EchoAsync(served, HopTestBench.Preamble(bench.Listen.Secret), 64 * 1024);
        echoedBefore.Should().Equal(before);

        // A plain TCP client speaking the hop protocol without TLS, and one sending garbage.
        foreach (var bytes in new[] { HopTestBench.Preamble(bench.Listen.Secret).Encode(new byte[HopPreamble.NonceLength]), Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n") })
        {
            using var plain = new TcpClient();
            await plain.ConnectAsync(IPAddress.Loopback, bench.Listen.Port);
            var stream = plain.GetStream();
            await stream.WriteAsync(bytes);
            var read = await ReadUntilClosedAsync(stream).WaitAsync(TimeSpan.FromSeconds(15));
            read.Should().BeLessThan(200, "the listener answers a stranger with at most a TLS alert");
        }

        bench.Admitted.Should().Be(1);
        var (after, echoedAfter) = await HopTestBench.EchoAsync(served, 64 * 1024);
        echoedAfter.Should().Equal(after);
    }

    [Fact]
    public async Task A_connection_that_stays_silent_is_dropped_after_the_handshake_timeout()
    {
        var time = new FakeTimeProvider();
        await using var bench = HopTestBench.Start(HopTransports.Tcp, _exit, time: time);
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, bench.Listen.Port);
        var stream = silent.GetStream();
        // The challenge is sent after the handshake's deadline is set, so the clock can move from here.
        await stream.ReadExactlyAsync(new byte[4 + HopPreamble.NonceLength]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        time.Advance(HopTransport.HandshakeTimeout - TimeSpan.FromMilliseconds(100));
        var more = stream.ReadAsync(new byte[1]).AsTask();
        (await Task.WhenAny(more, Task.Delay(200))).Should().NotBeSameAs(more, "the handshake may take 10 s");
        time.Advance(TimeSpan.FromMilliseconds(100));

        (await more.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(0, "the listener sends its challenge and nothing more, then closes");
    }

    [Fact]
    public async Task Ws_listener_answers_another_path_with_404()
    {
        await using var bench = HopTestBench.Start(HopTransports.Ws, _exit, path: "/sx-hop");
        var dialing = () => HopTransport.DialAsync(bench.Dial(path: "/elsewhere"), _entry, CancellationToken.None);

        (await dialing.Should().ThrowAsync<IOException>()).WithMessage("*404 Not Found*");
    }

    [Fact]
    public async Task Wss_dialer_sends_the_host_header_as_sni_and_still_trusts_the_hop_certificate()
    {
        await using var bench = HopTestBench.Start(HopTransports.Wss, _exit);
        await using var hop = await HopTransport.DialAsync(bench.Dial(hostHeader: "relay.cdn.example"), _entry, CancellationToken.None);

        var (sent, received) = await HopTestBench.EchoAsync(hop, HopTestBench.Preamble(bench.Listen.Secret), 1024 * 1024);

        received.Should().Equal(sent);
    }

    [Fact]
    public async Task Disposing_the_listener_frees_the_port_and_ends_the_connections_it_serves()
    {
#pragma warning disable CA2000 // disposed in the middle of the test: what that does is the subject
        var bench = HopTestBench.Start(HopTransports.Ws, _exit);
#pragma warning restore CA2000
        await using var hop = await HopTransport.DialAsync(bench.Dial(), _entry, CancellationToken.None);
        var (sent, received) = await HopTestBench.EchoAsync(hop, HopTestBench.Preamble(bench.Listen.Secret), 4096);
        received.Should().Equal(sent);

        await bench.DisposeAsync();

        // Ended: the end of the stream or a reset, whichever reaches the dialer first.
        (await ReadUntilClosedAsync(hop).WaitAsync(TimeSpan.FromSeconds(5))).Should().Be(0);
        // The kernel may take a moment to let go of the closed listener under load; a port still
        // held after two seconds is a leak.
        HopServer? again = null;
        for (var attempt = 0; again is null; attempt++)
        {
            try
            {
                again = HopServer.Start("rule-9", bench.Listen, _exit, (_, _, _) => Task.CompletedTask);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 20)
            {
                await Task.Delay(100);
            }
        }

        await again.DisposeAsync();
    }

    [Fact]
    public async Task A_port_in_use_fails_start_with_a_socket_exception()
    {
        await using var bench = HopTestBench.Start(HopTransports.Tls, _exit);

        var starting = () => HopServer.Start("rule-9", bench.Listen with { Transport = HopTransports.Tcp }, null, (_, _, _) => Task.CompletedTask);

        starting.Should().Throw<SocketException>().Which.SocketErrorCode.Should().Be(SocketError.AddressAlreadyInUse);
    }

    private static async Task<int> ReadUntilClosedAsync(Stream stream)
    {
        var buffer = new byte[1024];
        var total = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) total += n;
        }
        catch (IOException)
        {
        }

        return total;
    }
}
