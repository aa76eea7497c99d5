using FluentAssertions;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.NodeDetail;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Metrics;
using Xunit;

namespace SentinelX.Tests.NodeDetail;

public sealed class NodeDetailTests
{
    [Fact]
    public void Series_become_columns_per_chart_with_a_break_where_the_node_was_offline()
    {
        var series = new MetricSeries("n1", 0, 100_000, 10, "raw",
        [
            new MetricPoint { Timestamp = 10_000, CpuPercent = 12.5, MemUsedBytes = 100, SwapUsedBytes = 1, NetRxBps = 7, NetTxBps = 8 },
            new MetricPoint { Timestamp = 20_000, CpuPercent = 50, MemUsedBytes = 200, SwapUsedBytes = 2 },
            // 40 s gap (> 2.5 steps): the line must not bridge it.
            new MetricPoint { Timestamp = 60_000, CpuPercent = 75, MemUsedBytes = 300, SwapUsedBytes = 3 },
        ]);

        var columns = NodeCharts.FromSeries(series);

        columns.Keys.Should().BeEquivalentTo("cpu", "memory", "load", "disk", "network", "connections");
        columns["cpu"][0].Should().Equal(10, 20, 30, 60);
        columns["cpu"][1].Should().Equal(12.5, 50, null, 75);
        columns["memory"].Should().HaveCount(3);
        columns["memory"][1].Should().Equal(100, 200, null, 300);
        columns["memory"][2].Should().Equal(1, 2, null, 3);
        columns["network"][1]![0].Should().Be(7);
        columns["network"][2]![0].Should().Be(8);
    }

    [Fact]
    public void A_live_sample_becomes_one_row_per_chart_in_unix_seconds()
    {
        var sample = new MetricSample
        {
            Seq = 1, Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500),
            CpuPercent = 33.3333, Load1 = 1, Load5 = 2, Load15 = 3, TcpConnections = 40, UdpConnections = 4,
        };

        var rows = NodeCharts.Row(sample);

        rows["cpu"].Should().Equal(1_700_000_000.5, 33.333);
        rows["load"].Should().Equal(1_700_000_000.5, 1, 2, 3);
        rows["connections"].Should().Equal(1_700_000_000.5, 40, 4);
    }

    [Fact]
    public void Ranges_pick_raw_then_minute_then_hour_tiers_with_a_few_hundred_points()
    {
        foreach (var range in NodeCharts.Ranges)
            (range.Length.TotalSeconds / range.StepSeconds).Should().BeInRange(200, 400, range.Key);
        NodeCharts.Ranges.Single(r => r.Key == "1h").StepSeconds.Should().BeLessThan(60, "an hour reads raw samples");
        NodeCharts.Ranges.Single(r => r.Key == "6h").StepSeconds.Should().BeGreaterThanOrEqualTo(60);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("de", "\U0001F1E9\U0001F1EA")]
    [InlineData("JP", "\U0001F1EF\U0001F1F5")]
    [InlineData("1x", null)]
    public void Region_codes_become_flags(string region, string? flag) => NodePage.Flag(region).Should().Be(flag);

    [Fact]
    public void Valid_changes_pass_and_each_bad_field_is_named()
    {
        new NodeChanges { Name = "web-1", Tags = "prod, web", GroupName = "hetzner", Region = "de", Notes = "rack 4", TrafficResetDay = 28 }
            .Validate().Should().BeEmpty();
        new NodeChanges().Validate().Should().BeEmpty("nothing to change is fine");
        new NodeChanges { Region = "" }.Validate().Should().BeEmpty("an empty region clears it");

        var errors = new NodeChanges
        {
            Name = "", Tags = new string('x', 33), GroupName = new string('g', 65), Region = "DEU", Notes = new string('n', 2001), TrafficResetDay = 29,
        }.Validate();
        errors.Keys.Should().BeEquivalentTo("name", "tags", "groupName", "region", "notes", "trafficResetDay");
        new NodeChanges { Name = "bad\nname" }.Validate().Keys.Should().Equal("name");
        new NodeChanges { Region = "1x" }.Validate().Keys.Should().Equal("region");
        new NodeChanges { TrafficResetDay = 0 }.Validate().Keys.Should().Equal("trafficResetDay");
        new NodeChanges { Tags = string.Join(',', Enumerable.Range(1, 21)) }.Validate().Keys.Should().Equal("tags");
    }
}
