using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>Real bytes through real Node processes: TCP, UDP, every chain transport, limits, failover, restarts.</summary>
[Collection(SerialCollection.Name)]
public sealed class ForwardTrafficTests(ForwardFixture fx) : IClassFixture<ForwardFixture>
{
    [Fact]
    public async Task A_tcp_rule_carries_hash_checked_bytes_and_iperf3_and_counts_them()
    {
        await using var sink = HashSink.Start();
        var port = FreePorts.Tcp();
        var id = await CreateActiveAsync(new
        {
            name = "tcp-hash", nodeId = fx.EntryId, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = port,
            targets = new[] { $"127.0.0.1:{sink.Port}" },
        });

        var sent = await HashSink.SendAsync(port, 32 * 1024 * 1024);
        sent.Echoed.Should().Be(sent.Hash, "the target received exactly the bytes sent");

        using var iperf = IperfServer.Start();
        var iperfRule = await CreateActiveAsync(new
        {
            name = "tcp-iperf", nodeId = fx.EntryId, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = FreePorts.Tcp(),
            targets = new[] { $"127.0.0.1:{iperf.Port}" },
        });
        var rule = await GetAsync(iperfRule);
        var result = await Iperf.RunAsync(rule.ListenPort, seconds: 2);
        result.BitsPerSecond.Should().BeGreaterThan(100e6, "loopback forwarding moves far more than 100 Mbit/s");

        var counted = await Eventually.ValueAsync(async () =>
        {
            var view = await GetAsync(id);
            return view.Stats.BytesIn >= 32 * 1024 * 1024 && view.Stats.ConnectionsTotal >= 1 ? view : null;
        }, TimeSpan.FromSeconds(20), "the Node reports the transfer's bytes");
        counted.Stats.BytesIn.Should().BeLessThan(33 * 1024 * 1024);
        counted.Stats.BytesOut.Should().BeInRange(64, 1024, "only the hash came back");
        counted.Placements.Should().ContainSingle().Which.Status.Should().Be("active");
    }

    [Fact]
    public async Task A_udp_rule_keeps_a_session_per_client()
    {
        using var echo = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var echoPort = ((IPEndPoint)echo.Client.LocalEndPoint!).Port;
        using var stop = new CancellationTokenSource();
        var echoing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var got = await echo.ReceiveAsync(stop.Token);
                await echo.SendAsync(got.Buffer.Concat("|seen-from-"u8.ToArray()).Concat(System.Text.Encoding.ASCII.GetBytes(got.RemoteEndPoint.Port.ToString())).ToArray(), got.RemoteEndPoint, stop.Token);
            }
        });
        var port = FreePorts.Udp();
        await CreateActiveAsync(new
        {
            name = "udp-echo", nodeId = fx.EntryId, protocol = "udp", listenAddress = "127.0.0.1", listenPort = port,
            targets = new[] { $"127.0.0.1:{echoPort}" },
        });

        using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var fromA = await RoundTripAsync(a, port, "from-a");
        var fromB = await RoundTripAsync(b, port, "from-b");
        fromA.Should().StartWith("from-a|seen-from-");
        fromB.Should().StartWith("from-b|seen-from-");
        fromA.Split('-')[^1].Should().NotBe(fromB.Split('-')[^1], "each client has its own session, so its own source port toward the target");
        (await RoundTripAsync(a, port, "again-a")).Split('-')[^1].Should().Be(fromA.Split('-')[^1], "the session is kept");
        await stop.CancelAsync();
        await Task.WhenAny(echoing, Task.Delay(1000));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("tls")]
    [InlineData("ws")]
    [InlineData("wss")]
    public async Task A_two_node_chain_carries_hash_checked_bytes(string transport)
    {
        await using var sink = HashSink.Start();
        var hopPort = FreePorts.Tcp();
        var id = await CreateActiveAsync(new
        {
            name = "chain-" + transport, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = FreePorts.Tcp(),
            targets = new[] { $"127.0.0.1:{sink.Port}" },
            chain = new object[]
            {
                new { nodeId = fx.EntryId },
                new { nodeId = fx.ExitId, transport, host = "127.0.0.1", port = hopPort, path = "/relay", hostHeader = "cdn.example.test" },
            },
        });
        var rule = await GetAsync(id);
        rule.Placements.Select(p => p.Role).Should().Equal("entry", "exit");

        var sent = await HashSink.SendAsync(rule.ListenPort, 16 * 1024 * 1024);
        sent.Echoed.Should().Be(sent.Hash);

        // The hop listener is for the previous hop only: a stranger's bytes never reach the target.
        var before = sink.Connections;
        using (var stranger = new TcpClient())
        {
            await stranger.ConnectAsync(IPAddress.Loopback, hopPort);
            var stream = stranger.GetStream();
            try
            {
                await stream.WriteAsync(new byte[4096]);
                var buffer = new byte[64];
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                var read = 0;
                for (int n; (n = await stream.ReadAsync(buffer, wait.Token)) > 0;) read += n;
                // A tcp hop listener speaks first ("SXH2" and a 32-byte nonce); it says nothing else to a stranger.
                read.Should().BeLessThanOrEqualTo(36, "the hop closes on a stranger");
            }
            catch (IOException)
            {
                // Reset instead of a clean close: refused just the same.
            }
        }

        await Task.Delay(300);
        sink.Connections.Should().Be(before);
    }

    [Fact]
    public async Task A_port_another_process_holds_is_refused_with_the_exact_error()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        using var response = await CoreInstance.PostJsonAsync(fx.Admin, "/api/v1/forwards", new
        {
            name = "taken", nodeId = fx.EntryId, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = port, targets = new[] { $"127.0.0.1:{port + 1}" },
        });
        response.StatusCode.Should().Be(HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("detail").GetString().Should().Contain($"port {port} already in use");
        var all = await CoreInstance.GetJsonAsync<List<RuleView>>(fx.Admin, "/api/v1/forwards");
        all.Should().NotContain(r => r.Name == "taken", "a refused rule is not kept");
    }

    [Fact]
    public async Task A_node_refuses_forwards_to_loopback_and_the_metadata_address_unless_its_owner_allows_them()
    {
        // A Node installed with forwarding allowed but no forwardTargets: what an operator (or a
        // stolen Core) may point a public port at is this server's owner's choice.
        await using var strict = fx.Core.NewNode("fwd-strict");
        strict.ExtraArgs.AddRange(["--allow", "forward"]);
        var strictId = await fx.Core.StartOnlineNodeAsync(strict, fx.Admin, "forward");
        await using var sink = HashSink.Start();

        foreach (var (target, shown, reason) in new[]
        {
            ($"127.0.0.1:{sink.Port}", $"127.0.0.1:{sink.Port}", "loopback"),
            ("169.254.169.254:80", "169.254.169.254:80", "link-local"),
            ($"localhost:{sink.Port}", $"localhost:{sink.Port} (127.0.0.1)", "loopback"),
        })
        {
            using var response = await CoreInstance.PostJsonAsync(fx.Operator, "/api/v1/forwards", new
            {
                name = "to-" + reason, nodeId = strictId, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = FreePorts.Tcp(), targets = new[] { target },
            });
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.Conflict, body);
            JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString().Should().StartWith(
                $"target {shown} is refused by this Node's forwardTargets policy ({reason}); allow it in /etc/sentinelx/node.toml");
        }

        var all = await CoreInstance.GetJsonAsync<List<RuleView>>(fx.Admin, "/api/v1/forwards");
        all.Should().NotContain(r => r.Name.StartsWith("to-", StringComparison.Ordinal), "a refused rule is not kept");
        sink.Connections.Should().Be(0);
    }

    [Fact]
    public async Task The_bandwidth_limit_holds_within_ten_percent()
    {
        using var iperf = IperfServer.Start();
        var port = FreePorts.Tcp();
        await CreateActiveAsync(new
        {
            name = "limited", nodeId = fx.EntryId, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = port,
            targets = new[] { $"127.0.0.1:{iperf.Port}" }, bandwidthMbps = 40,
        });
        // A run under the limit is run again (up to three times): on two shared cores a stalled process
        // sends nothing, limited or not. A run over it fails at once, since that is the limit broken.
        var rates = new List<double>();
        do rates.Add(Math.Round((await Iperf.RunAsync(port, seconds: 4)).BitsPerSecond / 1e6, 2));
        while (rates[^1] < 36 && rates.Count < 3);
        rates[^1].Should().BeInRange(36, 44, "the runs measured {0} Mbit/s against a limit of 40", string.Join(", ", rates));
    }

    [Fact]
    public async Task Failover_moves_to_the_next_target_when_the_first_dies()
    {
        var first = HashSink.Start();
        await using var second = HashSink.Start();
        var port = FreePorts.Tcp();
        var id = await CreateActiveAsync(new
        {
            name = "failover", nodeId = fx.EntryId, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = port,
            targets = new[] { $"127.0.0.1:{first.Port}", $"127.0.0.1:{second.Port}" }, balance = "failover",
        });

        (await HashSink.SendAsync(port, 1024)).Echoed.Should().NotBeNull();
        first.Connections.Should().Be(1);
        second.Connections.Should().Be(0);

        var dead = $"127.0.0.1:{first.Port}";
        await first.DisposeAsync();
        for (var i = 0; i < 3; i++)
        {
            var sent = await HashSink.SendAsync(port, 1024);
            sent.Echoed.Should().Be(sent.Hash);
        }

        second.Connections.Should().Be(3);
        await Eventually.WaitAsync(async () => (await GetAsync(id)).TargetsDown.Contains(dead),
            TimeSpan.FromSeconds(20), "the health check reports the dead target",
            () => JsonSerializer.Serialize(GetAsync(id).GetAwaiter().GetResult()) + "\n" + fx.Entry.Output);
    }

    [Fact]
    public async Task A_node_restart_keeps_rules_and_counters_even_while_the_core_is_down()
    {
        await using var node = fx.Core.NewNode("fwd-restart");
        node.ExtraArgs.AddRange(ForwardFixture.AllowLoopback);
        var nodeId = await fx.Core.StartOnlineNodeAsync(node, fx.Admin, "forward");
        await using var sink = HashSink.Start();
        var port = FreePorts.Tcp();
        var id = await CreateActiveAsync(new
        {
            name = "survivor", nodeId, protocol = "tcp", listenAddress = "127.0.0.1", listenPort = port,
            targets = new[] { $"127.0.0.1:{sink.Port}" }, maxConnections = 5,
        });
        await HashSink.SendAsync(port, 1_000_000);
        var before = await Eventually.ValueAsync(async () =>
        {
            var view = await GetAsync(id);
            return view.Stats.BytesIn >= 1_000_000 ? view : null;
        }, TimeSpan.FromSeconds(20), "counted before the restart");

        // The Node restarts while the Core is down: it runs its saved rules on its own.
        await fx.Core.StopAsync();
        await node.StopAsync();
        await Task.Delay(6000); // longer than the counters' flush interval would hide a loss
        await node.StartAsync(await KeyWhileStoppedAsync());
        var sent = await Eventually.ValueAsync(async () =>
        {
            try
            {
                return await HashSink.SendAsync(port, 2_000_000);
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                return null;
            }
        }, TimeSpan.FromSeconds(30), "the saved rule serves again without the Core");
        sent.Echoed.Should().Be(sent.Hash);

        await fx.Core.StartAsync();
        await Eventually.WaitAsync(async () =>
        {
            var nodes = await CoreInstance.GetJsonAsync<List<NodeView>>(fx.Admin, "/api/v1/nodes");
            return nodes.Count(v => v.Online && (v.Id == fx.EntryId || v.Id == fx.ExitId || v.Id == nodeId)) == 3;
        }, TimeSpan.FromSeconds(60), "every Node reconnects to the restarted Core");
        var after = await Eventually.ValueAsync(async () =>
        {
            var view = await GetAsync(id);
            return view.Stats.BytesIn >= before.Stats.BytesIn + 2_000_000 ? view : null;
        }, TimeSpan.FromSeconds(40), "counters continue after the restart: " + node.Output);
        after.MaxConnections.Should().Be(5);
        after.Status.Should().Be("active");
    }

    [Fact]
    public async Task An_open_tls_chain_connection_survives_a_core_restart()
    {
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var echoing = Task.Run(async () =>
        {
            using var peer = await echo.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            var buffer = new byte[4096];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) await stream.WriteAsync(buffer.AsMemory(0, n));
        });
        var id = await CreateActiveAsync(new
        {
            name = "tls-across-restart", protocol = "tcp", listenAddress = "127.0.0.1", listenPort = FreePorts.Tcp(),
            targets = new[] { $"127.0.0.1:{((IPEndPoint)echo.LocalEndpoint).Port}" },
            chain = new object[]
            {
                new { nodeId = fx.EntryId },
                new { nodeId = fx.ExitId, transport = "tls", host = "127.0.0.1", port = FreePorts.Tcp() },
            },
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, (await GetAsync(id)).ListenPort);
        var stream = client.GetStream();
        (await EchoAsync(stream, "before")).Should().Be("before");

        // The restarted Core pushes every rule again, with the hop certificates it kept: nothing changes
        // for the Nodes, so their hop listeners and the connections through them carry on.
        await fx.Core.StopAsync();
        await fx.Core.StartAsync();
        await Eventually.WaitAsync(async () =>
        {
            var nodes = await CoreInstance.GetJsonAsync<List<NodeView>>(fx.Admin, "/api/v1/nodes");
            return nodes.Count(v => v.Online && (v.Id == fx.EntryId || v.Id == fx.ExitId)) == 2 && (await GetAsync(id)).Status == "active";
        }, TimeSpan.FromSeconds(60), "both Nodes back and the chain active again");
        await Task.Delay(2000); // the pushes after each hello have been applied

        (await EchoAsync(stream, "after")).Should().Be("after", "the connection opened before the restart still carries bytes\n" + fx.Entry.Output + fx.Exit.Output);
        client.Close();
        await echoing.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task<string> EchoAsync(NetworkStream stream, string text)
    {
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text));
        var buffer = new byte[text.Length];
        var read = 0;
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), wait.Token);
            if (n == 0) return $"(closed after {read} bytes)";
            read += n;
        }

        return System.Text.Encoding.UTF8.GetString(buffer);
    }

    // The Core is stopped, but its data dir still has the key: the CLI reads it without the server.
    private Task<string> KeyWhileStoppedAsync() => fx.Core.EnrollmentKeyAsync();

    private async Task<string> CreateActiveAsync(object body)
    {
        using var response = await CoreInstance.PostJsonAsync(fx.Admin, "/api/v1/forwards", body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, text);
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        await Eventually.WaitAsync(async () => (await GetAsync(id)).Status == "active", TimeSpan.FromSeconds(20),
            "rule active", () => JsonSerializer.Serialize(GetAsync(id).GetAwaiter().GetResult()) + "\n" + fx.Entry.Output + fx.Exit.Output);
        return id;
    }

    private Task<RuleView> GetAsync(string id) => CoreInstance.GetJsonAsync<RuleView>(fx.Admin, $"/api/v1/forwards/{id}");

    private static async Task<string> RoundTripAsync(UdpClient client, int port, string text)
    {
        for (var attempt = 0; ; attempt++)
        {
            await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(text), new IPEndPoint(IPAddress.Loopback, port));
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                var got = await client.ReceiveAsync(wait.Token);
                return System.Text.Encoding.ASCII.GetString(got.Buffer);
            }
            catch (OperationCanceledException) when (attempt < 4)
            {
                // UDP may drop; try again.
            }
        }
    }

    public sealed record RuleView(
        string Id, string Name, string Status, string? Error, int ListenPort, int MaxConnections, RuleStats Stats,
        IReadOnlyList<RulePlacement> Placements, IReadOnlyList<string> TargetsDown);

    public sealed record RuleStats(long BytesIn, long BytesOut, int ConnectionsActive, long ConnectionsTotal);

    public sealed record RulePlacement(string NodeId, string NodeName, string Role, string Status, string? Error);
}
