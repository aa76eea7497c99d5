using System.Globalization;
using System.Net;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>One Core and two Nodes, started once; the tests read what a user would see.</summary>
public sealed class FleetFixture : IAsyncLifetime
{
    public CoreInstance Core { get; } = new();
    public NodeInstance Alpha { get; private set; } = null!;
    public NodeInstance Beta { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Viewer { get; private set; } = null!;
    public DateTimeOffset OnlineSince { get; private set; }

    /// <summary>Waits until the nodes have been reporting for at least <paramref name="seconds"/>.</summary>
    public Task HistoryAsync(int seconds)
    {
        var wait = OnlineSince.AddSeconds(seconds) - DateTimeOffset.UtcNow;
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }

    public async Task InitializeAsync()
    {
        await Core.StartAsync();
        Admin = await Core.ClientAsync("admin");
        Viewer = await Core.ClientAsync("viewer");
        Alpha = Core.NewNode("alpha");
        Beta = Core.NewNode("beta");
        await Alpha.StartAsync();
        await Beta.StartAsync();
        await Eventually.WaitAsync(async () =>
        {
            var nodes = await CoreInstance.GetJsonAsync<List<NodeView>>(Viewer, "/api/v1/nodes");
            return nodes.Count == 2 && nodes.All(n => n.Online && n.Metrics is not null);
        }, TimeSpan.FromSeconds(30), "both nodes online with metrics", () => Core.Output + Alpha.Output + Beta.Output);
        OnlineSince = DateTimeOffset.UtcNow;
    }

    public async Task DisposeAsync()
    {
        await Alpha.DisposeAsync();
        await Beta.DisposeAsync();
        await Core.DisposeAsync();
    }

    public async Task<NodeView> NodeAsync(string name) =>
        (await CoreInstance.GetJsonAsync<List<NodeView>>(Viewer, "/api/v1/nodes")).Single(n => n.Name == name);
}

[Collection(SerialCollection.Name)]
public sealed class FleetTests(FleetFixture fleet) : IClassFixture<FleetFixture>
{
    [Fact]
    public async Task Two_nodes_enroll_with_distinct_ids_and_private_secrets()
    {
        var nodes = await CoreInstance.GetJsonAsync<List<NodeView>>(fleet.Viewer, "/api/v1/nodes");

        nodes.Select(n => n.Name).Should().BeEquivalentTo("alpha", "beta");
        nodes.Select(n => n.Id).Distinct().Should().HaveCount(2);
        nodes.Should().OnlyContain(n => n.Online && n.Os.Length > 0 && n.Arch.Length > 0);
        File.GetUnixFileMode(Path.Combine(fleet.Alpha.DataDir, "identity.json")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Path.Combine(fleet.Core.DataDir, "core.key")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var key = await fleet.Core.EnrollmentKeyAsync();
        key.Should().MatchRegex("^sxk_[a-z2-7]{52}$", "32 random bytes in base32 behind a prefix");
    }

    [Fact]
    public async Task Memory_and_swap_totals_equal_proc_meminfo_exactly()
    {
        var meminfo = File.ReadAllLines("/proc/meminfo").ToDictionary(l => l.Split(':')[0], l => long.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture));

        var node = await fleet.NodeAsync("alpha");

        node.Metrics!.MemTotalBytes.Should().Be(meminfo["MemTotal"] * 1024);
        node.Metrics.SwapTotalBytes.Should().Be(meminfo["SwapTotal"] * 1024);
        node.Metrics.MemUsedBytes.Should().BeInRange(1, node.Metrics.MemTotalBytes);
        node.Metrics.DiskTotalBytes.Should().BePositive();
        node.Metrics.UptimeSeconds.Should().BeCloseTo((long)double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture), 5);
        node.Metrics.Processes.Should().BePositive();
        node.Metrics.CpuPerCore.Should().HaveCount(Environment.ProcessorCount);
    }

    [Fact]
    public async Task Cpu_percent_follows_a_known_load()
    {
        var busy = System.Diagnostics.Process.Start("sh", ["-c", "while :; do :; done"]);
        try
        {
            await Task.Delay(1500);
            var from = DateTimeOffset.UtcNow;
            var before = ReadCpu();
            await Task.Delay(6000);
            var after = ReadCpu();
            var to = DateTimeOffset.UtcNow;
            var expected = 100.0 * (after.Busy - before.Busy) / (after.Total - before.Total);

            var node = await fleet.NodeAsync("alpha");
            await Task.Delay(2500); // let the last samples of the window reach storage
            var series = await CoreInstance.GetJsonAsync<Series>(fleet.Viewer,
                $"/api/v1/nodes/{node.Id}/metrics?from={from.AddSeconds(1).ToUnixTimeMilliseconds()}&to={to.ToUnixTimeMilliseconds()}&step=1");
            var measured = series.Points.Average(p => p.CpuPercent);

            series.Tier.Should().Be("raw");
            series.Points.Should().HaveCountGreaterThanOrEqualTo(4);
            expected.Should().BeGreaterThan(100.0 / Environment.ProcessorCount - 10, "one spinning process keeps one core busy");
            measured.Should().BeApproximately(expected, 12, "the node reads the same /proc/stat over the same window");
        }
        finally
        {
            busy.Kill();
            await busy.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Connection_counts_come_from_sockstat()
    {
        var node = await fleet.NodeAsync("beta");
        var tcp = SockstatInUse("/proc/net/sockstat", "TCP:") + SockstatInUse("/proc/net/sockstat6", "TCP6:");

        node.Metrics!.TcpConnections.Should().BeCloseTo(tcp, 25);
        node.Metrics.TcpConnections.Should().BePositive("the node's own connection to the Core is one");
    }

    [Fact]
    public async Task Node_detail_has_system_info()
    {
        var id = (await fleet.NodeAsync("alpha")).Id;

        var detail = await CoreInstance.GetJsonAsync<NodeDetailView>(fleet.Viewer, $"/api/v1/nodes/{id}");

        detail.System.Should().NotBeNull();
        detail.System!.Kernel.Should().Be(File.ReadAllText("/proc/sys/kernel/osrelease").Trim());
        detail.System.CpuCores.Should().Be(Environment.ProcessorCount);
        detail.System.CpuModel.Should().NotBeNullOrWhiteSpace();
        detail.System.Hostname.Should().Be(Environment.MachineName);
        detail.System.Disks.Should().NotBeEmpty();
        var interfaces = Directory.GetFileSystemEntries("/sys/class/net").Select(Path.GetFileName).Where(n => n != "lo");
        detail.System.Interfaces.Select(i => i.Name).Should().BeEquivalentTo(interfaces, "every interface but loopback is listed");
        detail.AgentVersion.Should().NotBeNullOrWhiteSpace();
        detail.UptimeSeconds.Should().BePositive();
    }

    [Fact]
    public async Task Core_asks_a_node_for_live_system_info()
    {
        var id = (await fleet.NodeAsync("beta")).Id;

        var system = await CoreInstance.GetJsonAsync<SentinelX.Shared.Metrics.SystemInfo>(fleet.Viewer, $"/api/v1/nodes/{id}/system");

        system.Hostname.Should().Be(Environment.MachineName);
    }

    [Fact]
    public async Task Summary_adds_up_the_fleet()
    {
        var summary = await CoreInstance.GetJsonAsync<SummaryView>(fleet.Viewer, "/api/v1/summary");
        var alpha = await fleet.NodeAsync("alpha");

        summary.Nodes.Should().Be(2);
        summary.Online.Should().Be(2);
        summary.MemTotalBytes.Should().Be(2 * alpha.Metrics!.MemTotalBytes);
        summary.CpuPercent.Should().BeInRange(0, 100);
    }

    [Fact]
    public async Task Prometheus_endpoint_serves_latest_metrics_behind_a_token()
    {
        using var anonymous = await fleet.Core.Http.GetAsync("/metrics");
        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var alpha = await fleet.NodeAsync("alpha");
        var text = await fleet.Viewer.GetStringAsync("/metrics");

        text.Should().Contain($"sentinelx_node_up{{node=\"alpha\",node_id=\"{alpha.Id}\"}} 1");
        text.Should().Contain($"sentinelx_node_memory_total_bytes{{node=\"alpha\",node_id=\"{alpha.Id}\"}} {alpha.Metrics!.MemTotalBytes}");
        text.Should().Contain("# TYPE sentinelx_node_network_receive_bytes_total counter");
    }

    [Fact]
    public async Task Stored_series_has_one_point_per_second()
    {
        await fleet.HistoryAsync(15);
        var alpha = await fleet.NodeAsync("alpha");
        var to = DateTimeOffset.UtcNow.AddSeconds(-3);

        var series = await CoreInstance.GetJsonAsync<Series>(fleet.Viewer,
            $"/api/v1/nodes/{alpha.Id}/metrics?from={to.AddSeconds(-10).UtcDateTime:O}&to={to.UtcDateTime:O}&step=1s");

        series.Tier.Should().Be("raw");
        series.Points.Should().HaveCountGreaterThanOrEqualTo(8);
        series.Points.Select(p => p.Timestamp).Should().BeInAscendingOrder();
    }

    private static (long Busy, long Total) ReadCpu()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4];
        var total = fields.Sum();
        return (total - idle, total);
    }

    private static int SockstatInUse(string path, string prefix)
    {
        if (!File.Exists(path)) return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        if (line is null) return 0;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(parts[Array.IndexOf(parts, "inuse") + 1], CultureInfo.InvariantCulture);
    }
}

public sealed record Series(string Tier, IReadOnlyList<SeriesPoint> Points);

public sealed record SeriesPoint(long Timestamp, double CpuPercent, long MemUsedBytes);
