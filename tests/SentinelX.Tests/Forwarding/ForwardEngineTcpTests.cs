using FluentAssertions;
using Xunit;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SentinelX.Shared.Protocol;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding;

[Collection(MeasuredRates.Name)]
public sealed class ForwardEngineTcpTests : IAsyncLifetime
{
    private readonly string _data = TempDir();
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup)) await item.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private async Task<SentinelX.Node.Forwarding.ForwardEngine> EngineAsync()
    {
        var engine = await StartEngineAsync(_data);
        _cleanup.Add(engine);
        return engine;
    }

    private TcpTestServer Server(bool echo = true)
    {
        var server = new TcpTestServer(echo);
        _cleanup.Add(server);
        return server;
    }

    [Theory]
    [InlineData(0)] // splice zero-copy
    [InlineData(10_000)] // a limit set high: pooled copy through the token bucket
    public async Task Sixty_four_MiB_pass_both_ways_unchanged_and_are_counted(double bandwidthMbps)
    {
        var engine = await EngineAsync();
        var echo = Server();
        var port = FreeTcpPort();
        var result = await ApplyAsync(engine, Direct("r1", port, echo.Endpoint) with { BandwidthMbps = bandwidthMbps });
        result.Placements.Should().ContainSingle().Which.Status.Should().Be(ForwardStatuses.Active);

        var data = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        (await EchoHashAsync(port, data)).Should().Equal(SHA256.HashData(data));

        var stats = (await engine.StatsAsync(CancellationToken.None)).Single();
        stats.BytesIn.Should().Be(data.Length);
        stats.BytesOut.Should().Be(data.Length);
        stats.ConnectionsTotal.Should().Be(1);
        (await EventuallyAsync(async () => (await engine.StatsAsync(CancellationToken.None)).Single().ConnectionsActive == 0, TimeSpan.FromSeconds(5)))
            .Should().BeTrue();
    }

    [Fact]
    public async Task Bandwidth_limit_holds_within_ten_percent()
    {
        var engine = await EngineAsync();
        var sink = Server(echo: false);
        var port = FreeTcpPort();
        await ApplyAsync(engine, Direct("r1", port, sink.Endpoint) with { BandwidthMbps = 40 });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            try
            {
                while (!stop.IsCancellationRequested) await client.GetStream().WriteAsync(chunk, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });

        await Task.Delay(500); // past the burst and the socket buffers filling
        var start = sink.Received;
        var rates = await MeasureMbpsAsync(() => sink.Received, TimeSpan.FromSeconds(3), 36, 44);
        var live = (await engine.StatsAsync(CancellationToken.None)).Single();
        live.ConnectionsActive.Should().Be(1);
        live.BytesIn.Should().BeGreaterThan(sink.Received - start, "counters move while a transfer runs, not only at its end");
        await stop.CancelAsync();
        client.Dispose();
        await writing;

        rates[^1].Should().BeInRange(36, 44, "the windows measured {0} Mbit/s against a limit of 40", string.Join(", ", rates));
    }

    [Fact]
    public async Task Connections_past_the_maximum_are_closed_at_once()
    {
        var engine = await EngineAsync();
        var echo = Server();
        var port = FreeTcpPort();
        await ApplyAsync(engine, Direct("r1", port, echo.Endpoint) with { MaxConnections = 2 });

        using var first = new TcpClient();
        using var second = new TcpClient();
        await first.ConnectAsync(IPAddress.Loopback, port);
        await second.ConnectAsync(IPAddress.Loopback, port);
        (await RoundTripAsync(first, "a")).Should().Be("a");
        (await RoundTripAsync(second, "b")).Should().Be("b");

        using var third = new TcpClient();
        await third.ConnectAsync(IPAddress.Loopback, port);
        var refused = await ReadEndAsync(third);
        refused.Should().BeTrue("the third connection must be closed by the Node");
        (await engine.StatsAsync(CancellationToken.None)).Single().ConnectionsActive.Should().Be(2);

        first.Dispose();
        (await EventuallyAsync(async () => (await engine.StatsAsync(CancellationToken.None)).Single().ConnectionsActive == 1, TimeSpan.FromSeconds(5))).Should().BeTrue();
        using var fourth = new TcpClient();
        await fourth.ConnectAsync(IPAddress.Loopback, port);
        (await RoundTripAsync(fourth, "d")).Should().Be("d");
    }

    [Fact]
    public async Task Failover_moves_to_the_next_target_when_the_first_is_stopped()
    {
        var engine = await EngineAsync();
        var primary = new TcpTestServer();
        var backup = Server();
        var port = FreeTcpPort();
        await ApplyAsync(engine, Direct("r1", port, primary.Endpoint, backup.Endpoint) with { Balance = ForwardBalance.Failover });

        for (var i = 0; i < 3; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            (await RoundTripAsync(client, "x")).Should().Be("x");
        }

        // Health checks connect without sending: bytes show which target served the clients.
        primary.Received.Should().Be(3);
        backup.Received.Should().Be(0);
        var primaryEndpoint = primary.Endpoint;
        await primary.DisposeAsync();

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            (await RoundTripAsync(client, "y")).Should().Be("y");
        }

        backup.Received.Should().Be(1);
        (await EventuallyAsync(async () => (await engine.StatsAsync(CancellationToken.None)).Single().TargetsDown?.Contains(primaryEndpoint) == true, TimeSpan.FromSeconds(8)))
            .Should().BeTrue("the health check must report the stopped target down");
    }

    [Fact]
    public async Task Round_robin_spreads_connections_over_the_targets()
    {
        var engine = await EngineAsync();
        var a = Server();
        var b = Server();
        var port = FreeTcpPort();
        await ApplyAsync(engine, Direct("r1", port, a.Endpoint, b.Endpoint));
        for (var i = 0; i < 6; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            (await RoundTripAsync(client, "r")).Should().Be("r");
        }

        // The health checks connect too; count only what the clients caused.
        (a.Connections + b.Connections).Should().BeGreaterThanOrEqualTo(6);
        a.Received.Should().Be(3);
        b.Received.Should().Be(3);
    }

    [Fact]
    public async Task A_dns_name_target_is_resolved()
    {
        var engine = await EngineAsync();
        var echo = Server();
        var port = FreeTcpPort();
        var result = await ApplyAsync(engine, Direct("r1", port, $"localhost:{echo.Port}"));
        result.Placements.Single().Status.Should().Be(ForwardStatuses.Active);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        (await RoundTripAsync(client, "dns")).Should().Be("dns");
    }

    [Fact]
    public async Task A_port_held_by_another_process_or_rule_is_refused_with_the_exact_message()
    {
        var engine = await EngineAsync();
        var echo = Server();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var held = ((IPEndPoint)holder.LocalEndpoint).Port;
        var free = FreeTcpPort();

        var result = await ApplyAsync(engine,
            Direct("taken", held, echo.Endpoint),
            Direct("first", free, echo.Endpoint),
            Direct("second", free, echo.Endpoint) with { Listen = new ForwardListen { Address = "0.0.0.0", Port = free } });

        var byId = result.Placements.ToDictionary(p => p.RuleId);
        byId["taken"].Status.Should().Be(ForwardStatuses.Error);
        byId["taken"].Error.Should().Be($"port {held} already in use");
        byId["first"].Status.Should().Be(ForwardStatuses.Active);
        byId["second"].Error.Should().Be($"port {free} already in use");
    }

    [Fact]
    public async Task A_placement_that_failed_is_tried_again_on_the_next_sync()
    {
        var engine = await EngineAsync();
        var echo = Server();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var placement = Direct("r1", port, echo.Endpoint);
        (await ApplyAsync(engine, placement)).Placements.Single().Error.Should().Be($"port {port} already in use");

        holder.Stop();
        (await ApplyAsync(engine, placement)).Placements.Single().Status.Should().Be(ForwardStatuses.Active);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        (await RoundTripAsync(client, "retry")).Should().Be("retry");
    }

    [Fact]
    public async Task A_target_that_loops_back_to_the_listener_is_refused()
    {
        var engine = await EngineAsync();
        var port = FreeTcpPort();
        var result = await ApplyAsync(engine, Direct("loop", port, $"127.0.0.1:{port}"));
        var stats = result.Placements.Single();
        stats.Status.Should().Be(ForwardStatuses.Error);
        stats.Error.Should().Be($"target 127.0.0.1:{port} loops back to this rule's own listen port");
    }

    [Fact]
    public async Task An_address_not_on_this_server_is_refused_with_the_exact_message()
    {
        var engine = await EngineAsync();
        var result = await ApplyAsync(engine, Direct("r1", FreeTcpPort(), "127.0.0.1:9") with { Listen = new ForwardListen { Address = "10.1.2.3", Port = FreeTcpPort() } });
        result.Placements.Single().Error.Should().Be("address 10.1.2.3 is not on this server");
    }

    internal static async Task<string> RoundTripAsync(TcpClient client, string text)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text));
        var buffer = new byte[text.Length];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
            if (n == 0) break;
            read += n;
        }

        return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
    }

    /// <summary>True when the server side closes the connection (end of stream or reset) within 5 s.</summary>
    internal static async Task<bool> ReadEndAsync(TcpClient client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var n = await client.GetStream().ReadAsync(new byte[16], timeout.Token);
            return n == 0;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
