using FluentAssertions;
using Xunit;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SentinelX.Node.Forwarding;
using SentinelX.Shared.Protocol;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding;

/// <summary>UDP, relay chains across two engines, quotas, and restoring from disk.</summary>
[Collection(MeasuredRates.Name)]
public sealed class ForwardEngineChainTests : IAsyncLifetime
{
    private readonly string _data = TempDir();
    private readonly string _exitData = TempDir();
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup)) await item.DisposeAsync();
        Directory.Delete(_data, recursive: true);
        Directory.Delete(_exitData, recursive: true);
    }

    private async Task<ForwardEngine> EngineAsync(string dir)
    {
        var engine = await StartEngineAsync(dir);
        _cleanup.Add(engine);
        return engine;
    }

    [Fact]
    public async Task A_udp_rule_echoes_datagrams_per_client()
    {
        var engine = await EngineAsync(_data);
        using var echo = new UdpEchoServer();
        var port = FreePort();
        var result = await ApplyAsync(engine, Direct("u1", port, echo.Endpoint) with { Protocol = ForwardProtocols.TcpUdp });
        result.Placements.Single().Status.Should().Be(ForwardStatuses.Active);

        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        (await UdpRoundTripAsync(a, port, "from a")).Should().Be("from a");
        (await UdpRoundTripAsync(b, port, "from b")).Should().Be("from b");
        (await UdpRoundTripAsync(a, port, "again a")).Should().Be("again a");

        var stats = (await engine.StatsAsync(CancellationToken.None)).Single();
        stats.ConnectionsTotal.Should().Be(2, "one session per client address");
        stats.BytesIn.Should().Be("from a".Length + "from b".Length + "again a".Length);
        stats.BytesOut.Should().Be(stats.BytesIn);
    }

    [Fact]
    public async Task Udp_sessions_count_against_max_connections_and_end_when_idle()
    {
        var engine = await EngineAsync(_data);
        using var echo = new UdpEchoServer();
        var port = FreePort();
        await ApplyAsync(engine, Direct("u2", port, echo.Endpoint) with { Protocol = ForwardProtocols.Udp, MaxConnections = 1, UdpIdleSeconds = 3 });

        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        (await UdpRoundTripAsync(a, port, "a")).Should().Be("a");
        (await UdpRoundTripAsync(b, port, "b", attempts: 1)).Should().Be("", "a second session is over the limit of one");
        (await engine.StatsAsync(CancellationToken.None)).Single().ConnectionsTotal.Should().Be(1);

        (await EventuallyAsync(async () => (await engine.StatsAsync(CancellationToken.None)).Single().ConnectionsActive == 0, TimeSpan.FromSeconds(6)))
            .Should().BeTrue("an idle session ends after udpIdleSeconds");
        (await UdpRoundTripAsync(b, port, "b")).Should().Be("b");
    }

    [Fact]
    public async Task A_chain_over_tcp_carries_tcp_unchanged_and_udp_datagrams()
    {
        var entry = await EngineAsync(_data);
        var exit = await EngineAsync(_exitData);
        var echo = new TcpTestServer();
        _cleanup.Add(echo);
        using var udpEcho = new UdpEchoServer();
        var hopPort = FreeTcpPort();
        var listenPort = FreePort();
        var secret = HopPreamble.NewSecret();

        var exitPlacement = new ForwardPlacement
        {
            RuleId = "c1",
            Name = "chain",
            Protocol = ForwardProtocols.TcpUdp,
            HopIn = new HopListen { Transport = HopTransports.Tcp, Address = "127.0.0.1", Port = hopPort, Secret = secret, PeerNodeId = "entry" },
            Targets = [$"127.0.0.1:{echo.Port}"],
        };
        (await ApplyAsync(exit, exitPlacement)).Placements.Single().Status.Should().Be(ForwardStatuses.Active);

        // The exit is a TCP rule target and a UDP one on different ports: one chain per protocol keeps the test simple.
        var udpHopPort = FreeTcpPort();
        var udpSecret = HopPreamble.NewSecret();
        await exit.ApplyAsync(new ForwardSyncParams
        {
            Placements =
            [
                exitPlacement,
                exitPlacement with { RuleId = "c2", Protocol = ForwardProtocols.Udp, HopIn = exitPlacement.HopIn! with { Port = udpHopPort, Secret = udpSecret }, Targets = [udpEcho.Endpoint] },
            ],
        }, CancellationToken.None);

        var udpListen = FreePort();
        var entryResult = await entry.ApplyAsync(new ForwardSyncParams
        {
            Placements =
            [
                Next("c1", ForwardProtocols.Tcp, listenPort, hopPort, secret),
                Next("c2", ForwardProtocols.Udp, udpListen, udpHopPort, udpSecret),
            ],
        }, CancellationToken.None);
        entryResult.Placements.Should().OnlyContain(p => p.Status == ForwardStatuses.Active);

        var data = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);
        (await EchoHashAsync(listenPort, data)).Should().Equal(SHA256.HashData(data));

        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        (await UdpRoundTripAsync(udp, udpListen, "through the chain")).Should().Be("through the chain");

        var exitStats = (await exit.StatsAsync(CancellationToken.None)).ToDictionary(p => p.RuleId);
        exitStats["c1"].BytesIn.Should().Be(data.Length);
        exitStats["c2"].BytesIn.Should().Be("through the chain".Length);
    }

    [Fact]
    public async Task A_hop_listener_ignores_a_wrong_secret()
    {
        var exit = await EngineAsync(_exitData);
        var echo = new TcpTestServer();
        _cleanup.Add(echo);
        var hopPort = FreeTcpPort();
        await ApplyAsync(exit, new ForwardPlacement
        {
            RuleId = "c1",
            Name = "chain",
            Protocol = ForwardProtocols.Tcp,
            HopIn = new HopListen { Transport = HopTransports.Tcp, Address = "127.0.0.1", Port = hopPort, Secret = HopPreamble.NewSecret(), PeerNodeId = "entry" },
            Targets = [echo.Endpoint],
        });

        using var stranger = new TcpClient();
        await stranger.ConnectAsync(IPAddress.Loopback, hopPort);
        await new HopPreamble(HopKind.Tcp, "c1", HopPreamble.NewSecret(), new IPEndPoint(IPAddress.Loopback, 1)).SendAsync(stranger.GetStream(), CancellationToken.None);
        await stranger.GetStream().WriteAsync("hello"u8.ToArray());
        (await ForwardEngineTcpTests.ReadEndAsync(stranger)).Should().BeTrue();
        echo.Connections.Should().Be(0);
    }

    [Fact]
    public async Task A_used_up_quota_blocks_the_rule_and_closes_its_connections()
    {
        var engine = await EngineAsync(_data);
        var sink = new TcpTestServer(echo: false);
        _cleanup.Add(sink);
        var port = FreeTcpPort();
        await ApplyAsync(engine, Direct("q1", port, sink.Endpoint) with { Quota = new ForwardQuota { Bytes = 1024 * 1024, Action = QuotaActions.Block } });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var chunk = new byte[64 * 1024];
        var closed = false;
        try
        {
            for (var i = 0; i < 200; i++) await client.GetStream().WriteAsync(chunk);
        }
        catch (IOException)
        {
            closed = true;
        }

        closed.Should().BeTrue("the open connection is closed once 1 MiB is used");
        var stats = (await engine.StatsAsync(CancellationToken.None)).Single();
        stats.Status.Should().Be(ForwardStatuses.QuotaBlocked);
        stats.QuotaReached.Should().BeTrue();
        stats.QuotaUsedBytes.Should().BeGreaterThanOrEqualTo(1024 * 1024);

        using var next = new TcpClient();
        await next.ConnectAsync(IPAddress.Loopback, port);
        (await ForwardEngineTcpTests.ReadEndAsync(next)).Should().BeTrue("new connections are refused while blocked");
    }

    [Fact]
    public async Task A_used_up_quota_with_throttle_slows_the_rule_to_the_throttle_rate()
    {
        var engine = await EngineAsync(_data);
        var sink = new TcpTestServer(echo: false);
        _cleanup.Add(sink);
        var port = FreeTcpPort();
        await ApplyAsync(engine, Direct("t1", port, sink.Endpoint) with
        {
            Quota = new ForwardQuota { Bytes = 256 * 1024, Action = QuotaActions.Throttle, ThrottleMbps = 8 },
        });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            var chunk = new byte[16 * 1024];
            try
            {
                while (!stop.IsCancellationRequested) await client.GetStream().WriteAsync(chunk, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });

        (await EventuallyAsync(() => Task.FromResult(sink.Received > 512 * 1024), TimeSpan.FromSeconds(5))).Should().BeTrue();
        var rates = await MeasureMbpsAsync(() => sink.Received, TimeSpan.FromSeconds(2), 7.2, 8.8);
        await stop.CancelAsync();
        client.Dispose();
        await writing;

        rates[^1].Should().BeInRange(7.2, 8.8, "the windows measured {0} Mbit/s against a throttle of 8", string.Join(", ", rates));
        var stats = (await engine.StatsAsync(CancellationToken.None)).Single();
        stats.Status.Should().Be(ForwardStatuses.Active);
        stats.QuotaReached.Should().BeTrue();
    }

    [Fact]
    public async Task A_new_engine_on_the_same_data_dir_restores_placements_and_counters()
    {
        var echo = new TcpTestServer();
        _cleanup.Add(echo);
        var port = FreeTcpPort();
        var data = RandomNumberGenerator.GetBytes(1024 * 1024);
        await using (var first = await StartEngineAsync(_data))
        {
            await ApplyAsync(first, Direct("p1", port, echo.Endpoint) with { BandwidthMbps = 5000, Quota = new ForwardQuota { Bytes = 1L << 40 } });
            await EchoHashAsync(port, data);
        }

        var placements = Path.Combine(_data, "forwards", "placements.json");
        File.GetUnixFileMode(placements).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var second = await EngineAsync(_data);
        var stats = (await second.StatsAsync(CancellationToken.None)).Single();
        stats.Status.Should().Be(ForwardStatuses.Active);
        stats.BytesIn.Should().Be(data.Length);
        stats.BytesOut.Should().Be(data.Length);
        stats.ConnectionsTotal.Should().Be(1);
        stats.QuotaUsedBytes.Should().Be(2L * data.Length);

        (await EchoHashAsync(port, data)).Should().Equal(SHA256.HashData(data));
        (await second.StatsAsync(CancellationToken.None)).Single().BytesIn.Should().Be(2L * data.Length);
    }

    [Fact]
    public async Task Counters_reach_the_disk_every_few_seconds_while_the_engine_runs()
    {
        var engine = await EngineAsync(_data);
        var echo = new TcpTestServer();
        _cleanup.Add(echo);
        var port = FreeTcpPort();
        await ApplyAsync(engine, Direct("f1", port, echo.Endpoint));
        var data = RandomNumberGenerator.GetBytes(300_000);
        await EchoHashAsync(port, data);

        var file = Path.Combine(_data, "forwards", "counters.json");
        (await EventuallyAsync(async () => (await File.ReadAllTextAsync(file)).Contains("\"bytesIn\":300000", StringComparison.Ordinal), TimeSpan.FromSeconds(5)))
            .Should().BeTrue("a crash must lose at most a few seconds of counts");
        File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task A_resync_keeps_unchanged_connections_and_drops_counters_of_removed_rules()
    {
        var engine = await EngineAsync(_data);
        var echo = new TcpTestServer();
        _cleanup.Add(echo);
        var port = FreeTcpPort();
        var placement = Direct("k1", port, echo.Endpoint);
        await ApplyAsync(engine, placement);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        (await ForwardEngineTcpTests.RoundTripAsync(client, "before")).Should().Be("before");

        await ApplyAsync(engine, placement, Direct("k2", FreeTcpPort(), echo.Endpoint));
        (await ForwardEngineTcpTests.RoundTripAsync(client, "after")).Should().Be("after");

        await ApplyAsync(engine, Direct("k2", FreeTcpPort(), echo.Endpoint));
        (await ForwardEngineTcpTests.ReadEndAsync(client)).Should().BeTrue("a removed rule closes its connections");
        await ApplyAsync(engine, placement);
        (await engine.StatsAsync(CancellationToken.None)).Single().BytesIn.Should().Be(0, "counters of a removed rule are dropped");
    }

    [Fact]
    public async Task An_engine_without_the_forward_permission_runs_nothing()
    {
        await using (var allowed = await StartEngineAsync(_data))
        {
            await ApplyAsync(allowed, Direct("n1", FreeTcpPort(), "127.0.0.1:9"));
        }

        var refused = await StartEngineAsync(_data, allowForward: false);
        _cleanup.Add(refused);
        refused.Allowed.Should().BeFalse();
        refused.HasPlacements.Should().BeFalse();
    }

    private static ForwardPlacement Next(string id, string protocol, int listenPort, int hopPort, byte[] secret) => new()
    {
        RuleId = id,
        Name = id,
        Protocol = protocol,
        Listen = new ForwardListen { Address = "127.0.0.1", Port = listenPort },
        Next = new HopDial { Transport = HopTransports.Tcp, Host = "127.0.0.1", Port = hopPort, Secret = secret, PeerNodeId = "exit" },
    };

    private static async Task<string> UdpRoundTripAsync(UdpClient client, int port, string text, int attempts = 5)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            await client.SendAsync(bytes, new IPEndPoint(IPAddress.Loopback, port));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                var reply = await client.ReceiveAsync(timeout.Token);
                return System.Text.Encoding.UTF8.GetString(reply.Buffer);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return "";
    }
}
