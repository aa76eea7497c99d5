using FluentAssertions;
using SentinelX.App.Features.Metrics;
using Xunit;
using static SentinelX.App.Features.Metrics.RollupSql;
using static SentinelX.Tests.Storage.Samples;

namespace SentinelX.Tests.Storage;

public abstract class MetricsQueryTests(ITestDatabases databases) : MetricsTestBase(databases)
{
    [Fact]
    public async Task Short_steps_over_recent_data_come_from_raw_rebucketed()
    {
        await Writer.StoreAsync("n1", Run(1, T0, 600, i => i % 10));
        Clock.NowMs = T0 + 10 * MinuteMs;

        var series = await Query.GetSeriesAsync("n1", T0, T0 + MinuteMs, 10, CancellationToken.None);

        series.Tier.Should().Be("raw");
        series.StepSeconds.Should().Be(10);
        series.Points.Select(p => p.Timestamp - T0).Should().Equal(Enumerable.Range(0, 6).Select(i => i * 10_000L));
        series.Points.Should().OnlyContain(p => p.Samples == 10 && p.CpuPercent == 4.5 && p.CpuPercentMax == 9);
        series.Points[0].UptimeSeconds.Should().Be(1010, "totals keep the last value of the step");
    }

    [Fact]
    public async Task Minute_steps_use_1m_rollups_and_fill_the_not_yet_rolled_tail_from_raw()
    {
        await Writer.StoreAsync("n1", Run(1, T0, 600, i => i / 60));
        Clock.NowMs = T0 + 10 * MinuteMs;
        await RollUpAsync(Clock.NowMs);
        (await WatermarkAsync(RollupWatermark.Minute)).Should().Be(T0 + 9 * MinuteMs);

        var series = await Query.GetSeriesAsync("n1", T0, T0 + 10 * MinuteMs, 60, CancellationToken.None);

        series.Tier.Should().Be("1m");
        series.Points.Select(p => (p.Timestamp - T0, p.Samples, p.CpuPercent))
            .Should().Equal(Enumerable.Range(0, 10).Select(i => (i * MinuteMs, 60L, (double)i)));

        var fiveMinutes = await Query.GetSeriesAsync("n1", T0, T0 + 10 * MinuteMs, 300, CancellationToken.None);
        fiveMinutes.Points.Select(p => (p.Samples, p.CpuPercent, p.CpuPercentMax)).Should().Equal((300L, 2.0, 4.0), (300L, 7.0, 9.0));
        fiveMinutes.Points[1].UptimeSeconds.Should().Be(1600);
    }

    [Fact]
    public async Task Old_ranges_use_hourly_rollups_weighted_by_sample_count()
    {
        await Writer.StoreAsync("n1", Run(1, T0, 60, _ => 10));
        await Writer.StoreAsync("n1", Run(61, T0 + HourMs, 180, _ => 50));
        await RollUpAsync(T0 + 3 * HourMs);
        Clock.NowMs = T0 + 30L * 24 * HourMs;

        var series = await Query.GetSeriesAsync("n1", T0, T0 + 4 * HourMs, 2 * 3600, CancellationToken.None);

        series.Tier.Should().Be("1h");
        series.StepSeconds.Should().Be(7200);
        var point = series.Points.Should().ContainSingle().Subject;
        point.Samples.Should().Be(240);
        point.CpuPercent.Should().BeApproximately((60 * 10 + 180 * 50) / 240.0, 1e-9);
        point.CpuPercentMax.Should().Be(50);
    }

    [Fact]
    public async Task Tier_follows_step_and_retention()
    {
        Clock.NowMs = T0 + 30L * 24 * HourMs;
        var now = Clock.NowMs;
        (await Query.GetSeriesAsync("n1", now - HourMs, now, 5, CancellationToken.None)).Tier.Should().Be("raw");
        (await Query.GetSeriesAsync("n1", now - HourMs, now, 60, CancellationToken.None)).Tier.Should().Be("1m");
        (await Query.GetSeriesAsync("n1", now - 2 * 24 * HourMs, now, 5, CancellationToken.None)).Tier.Should().Be("1m");
        (await Query.GetSeriesAsync("n1", now - 7 * 24 * HourMs, now, 3600, CancellationToken.None)).Tier.Should().Be("1m");
        (await Query.GetSeriesAsync("n1", now - 20 * 24 * HourMs, now, 300, CancellationToken.None)).Tier.Should().Be("1h");
    }

    [Fact]
    public async Task Point_count_is_capped_by_widening_the_step()
    {
        Clock.NowMs = T0 + 24 * HourMs;
        await Writer.StoreAsync("n1", Run(1, T0 + HourMs, 100));

        var series = await Query.GetSeriesAsync("n1", T0 + 1000, T0 + 24 * HourMs, 1, CancellationToken.None);

        series.Tier.Should().Be("raw");
        series.StepSeconds.Should().Be(9); // 86,399 s / 10,000 points, rounded up to whole seconds
        series.Points.Sum(p => p.Samples).Should().Be(100);
        series.Points.Should().HaveCountLessThanOrEqualTo(MetricSeries.MaxPoints);
    }
}

#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class SqliteMetricsQueryTests() : MetricsQueryTests(new SqliteDatabases());
#pragma warning restore CA2000

[Collection(PostgresCollection.Name)]
#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class PostgresMetricsQueryTests(PostgresServer server) : MetricsQueryTests(new PostgresDatabases(server));
#pragma warning restore CA2000
