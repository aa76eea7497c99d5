using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using Xunit;
using System.Net;
using System.Net.Sockets;
using SentinelX.Node.Config;
using SentinelX.Node.Forwarding;
using SentinelX.Shared.Protocol;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding;

/// <summary>UDP rules under many clients: session caps, pooled buffers, and hop dials that do not hold up the listener.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ForwardUdpLoadTests : IAsyncLifetime
{
    private readonly string _data = TempDir();
    private readonly List<IDisposable> _sockets = [];
    private ForwardEngine? _engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var socket in _sockets) socket.Dispose();
        if (_engine is not null) await _engine.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private async Task<ForwardEngine> EngineAsync(UdpSessionLimits? limits = null)
    {
        _engine = new ForwardEngine(new NodeSettings
        {
            Core = new Uri("http://127.0.0.1:1"),
            DataDir = _data,
            Allow = new HashSet<string>([Capabilities.Forward], StringComparer.Ordinal),
            UdpSessions = limits ?? UdpSessionLimits.Default,
            ForwardTargets = ForwardTestKit.AllowLoopback,
        });
        await _engine.StartAsync(CancellationToken.None);
        return _engine;
    }

    private static ForwardPlacement Udp(string id, int port, string target, int idleSeconds = 300) =>
        Direct(id, port, target) with { Protocol = ForwardProtocols.Udp, UdpIdleSeconds = idleSeconds };

    /// <summary>Client sockets bound on <paramref name="address"/> (all of 127/8 is loopback on Linux).</summary>
    private List<Socket> Clients(string address, int count)
    {
        var clients = new List<Socket>(count);
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _sockets.Add(socket);
            socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
            clients.Add(socket);
        }

        return clients;
    }

    /// <summary>One datagram from each client, paced so the listener's socket buffer does not overflow.</summary>
    private static async Task SendEachAsync(IEnumerable<Socket> clients, int port, byte[] payload)
    {
        var to = new IPEndPoint(IPAddress.Loopback, port);
        var sent = 0;
        foreach (var client in clients)
        {
            await client.SendToAsync(payload, SocketFlags.None, to);
            if (++sent % 50 == 0) await Task.Delay(10);
        }
    }

    private static async Task<string> RoundTripAsync(Socket client, int port, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var buffer = new byte[2048];
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await client.SendToAsync(bytes, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, port));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                while (true)
                {
                    var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    var reply = System.Text.Encoding.UTF8.GetString(buffer, 0, n);
                    if (reply == text) return reply; // earlier echoes of this client may still arrive first
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        return "";
    }

    [Fact]
    public async Task Two_thousand_client_ports_on_one_rule_are_capped_and_idle_sessions_hold_no_buffers()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var engine = await EngineAsync();
        using var echo = new UdpEchoServer();
        var port = FreePort();
        (await ApplyAsync(engine, Udp("load", port, echo.Endpoint))).Placements.Single().Status.Should().Be(ForwardStatuses.Active);
        var udp = engine.RunningRule("load")!.Udp!;

        // 8 source addresses x 250 ports: under the per-source cap, so the rule cap is what binds.
        var clients = Enumerable.Range(2, 8).SelectMany(a => Clients($"127.0.0.{a}", 250)).ToList();
        var payload = new byte[200];
        for (var round = 0; round < 3 && udp.Sessions < UdpSessionLimits.DefaultPerRule; round++)
            await SendEachAsync(clients, port, payload);

        (await EventuallyAsync(() => Task.FromResult(udp.Sessions == UdpSessionLimits.DefaultPerRule), TimeSpan.FromSeconds(20)))
            .Should().BeTrue($"the rule cap is {UdpSessionLimits.DefaultPerRule}; sessions {udp.Sessions}, refused {udp.Refused}");
        udp.Refused.Should().BeGreaterThan(0, "datagrams from clients past the cap are dropped and counted");
        var stats = (await engine.StatsAsync(CancellationToken.None)).Single();
        stats.ConnectionsActive.Should().Be(UdpSessionLimits.DefaultPerRule);
        stats.Status.Should().Be(ForwardStatuses.Active);

        // Sessions that are open keep working while the rule is full.
        var open = new List<Socket>();
        foreach (var client in clients.Take(400))
        {
            if (client.Available > 0) open.Add(client);
        }

        open.Should().NotBeEmpty("clients with a session got their echo");
        (await RoundTripAsync(open[0], port, "still here")).Should().Be("still here");
        (await RoundTripAsync(Clients("127.0.0.10", 1)[0], port, "new")).Should().BeEmpty("a new client past the cap is dropped");
        udp.Sessions.Should().Be(UdpSessionLimits.DefaultPerRule);

        // Idle: the listener's one receive buffer is all the entry holds; sessions keep no buffer.
        (await EventuallyAsync(() => Task.FromResult(udp.BuffersHeld == 1), TimeSpan.FromSeconds(10)))
            .Should().BeTrue($"idle sessions hold no pooled buffer (held: {udp.BuffersHeld})");
        var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        grown.Should().BeLessThan(64L * 1024 * 1024, "1,024 idle sessions take a few MB (a 64 KiB buffer per session was 125 MB for 2,000 clients)");
    }

    [Fact]
    public async Task One_source_address_gets_at_most_its_share_and_others_still_get_in()
    {
        var engine = await EngineAsync(new UdpSessionLimits(PerRule: 10, PerSource: 3));
        using var echo = new UdpEchoServer();
        var port = FreePort();
        await ApplyAsync(engine, Udp("share", port, echo.Endpoint, idleSeconds: 1));
        var udp = engine.RunningRule("share")!.Udp!;

        var noisy = Clients("127.0.0.1", 5);
        for (var i = 0; i < 3; i++) (await RoundTripAsync(noisy[i], port, $"n{i}")).Should().Be($"n{i}");
        await SendEachAsync(noisy.Skip(3), port, "over"u8.ToArray());
        (await EventuallyAsync(() => Task.FromResult(udp.Refused >= 2), TimeSpan.FromSeconds(5))).Should().BeTrue();
        udp.Sessions.Should().Be(3, "the per-source cap is 3");

        var other = Clients("127.0.0.2", 1)[0];
        (await RoundTripAsync(other, port, "other")).Should().Be("other", "another address is not held back by a noisy one");
        (await RoundTripAsync(noisy[0], port, "n0 again")).Should().Be("n0 again", "an open session keeps working");

        // Idle sessions end (udpIdleSeconds) and free their share.
        (await EventuallyAsync(() => Task.FromResult(udp.Sessions == 0), TimeSpan.FromSeconds(10))).Should().BeTrue();
        (await RoundTripAsync(noisy[4], port, "late")).Should().Be("late");
        (await engine.StatsAsync(CancellationToken.None)).Single().ConnectionsActive.Should().Be(1);
    }

    [Fact]
    public async Task A_hop_that_does_not_answer_holds_up_neither_the_listener_nor_memory()
    {
        // A hop whose accept queue is full: connecting to it hangs (the SYN is dropped), as a dead or
        // distant exit would. The listener must go on opening sessions for other clients meanwhile.
        using var stuck = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stuck.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        stuck.Listen(0);
        var hopPort = ((IPEndPoint)stuck.LocalEndPoint!).Port;
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(filler);
            _ = filler.ConnectAsync(IPAddress.Loopback, hopPort);
        }

        var engine = await EngineAsync();
        var port = FreePort();
        await ApplyAsync(engine, new ForwardPlacement
        {
            RuleId = "hop",
            Name = "hop",
            Protocol = ForwardProtocols.Udp,
            Listen = new ForwardListen { Address = "127.0.0.1", Port = port },
            Next = new HopDial { Transport = HopTransports.Tcp, Host = "127.0.0.1", Port = hopPort, Secret = HopPreamble.NewSecret(), PeerNodeId = "exit" },
            UdpIdleSeconds = 300,
        });
        var udp = engine.RunningRule("hop")!.Udp!;

        var clients = Clients("127.0.0.1", 20);
        await SendEachAsync(clients, port, new byte[100]);
        (await EventuallyAsync(() => Task.FromResult(udp.Sessions == 20), TimeSpan.FromSeconds(5)))
            .Should().BeTrue($"every client gets a session while the first dial still hangs (sessions: {udp.Sessions})");

        // While a session is not up, a bounded number of its datagrams wait; the rest are dropped.
        var one = clients[0];
        for (var i = 0; i < 100; i++)
        {
            await one.SendToAsync(new byte[1000], SocketFlags.None, new IPEndPoint(IPAddress.Loopback, port));
            if (i % 10 == 0) await Task.Delay(5);
        }

        (await EventuallyAsync(() => Task.FromResult(udp.Dropped > 0), TimeSpan.FromSeconds(5))).Should().BeTrue("a full queue drops");
        udp.BuffersHeld.Should().BeLessThanOrEqualTo(1 + 19 + UdpEntry.MaxQueuedPerSession,
            "the listener's buffer, one waiting datagram of each other session, and a full queue of this one");
    }
}
