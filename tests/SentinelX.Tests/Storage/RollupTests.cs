using FluentAssertions;
using SentinelX.App.Features.Metrics;
using Xunit;
using static SentinelX.App.Features.Metrics.RollupSql;
using static SentinelX.Tests.Storage.Samples;

namespace SentinelX.Tests.Storage;

public abstract class RollupTests(ITestDatabases databases) : MetricsTestBase(databases)
{
    [Fact]
    public async Task Minute_rollup_has_avg_and_max_of_gauges_last_totals_and_averaged_rates()
    {
        // One sample per second; the rate alternates 1000/3000 B/s and the counter follows it.
        long total = 5_000;
        var batch = Enumerable.Range(0, 60).Select(i =>
        {
            var bps = i % 2 == 0 ? 1000 : 3000;
            total += bps;
            return At(i + 1, T0 + i * 1000L, cpu: i, netRxTotal: total, netRxBps: bps, tcp: i % 7);
        }).ToList();
        await Writer.StoreAsync("n1", batch);

        await RollUpAsync(T0 + 2 * MinuteMs);

        var m = (await RowsAsync(db => db.MinuteRollups)).Should().ContainSingle().Subject;
        m.Bucket.Should().Be(T0);
        m.SampleCount.Should().Be(60);
        m.CpuPercentAvg.Should().BeApproximately(29.5, 1e-9);
        m.CpuPercentMax.Should().Be(59);
        m.TcpConnectionsAvg.Should().BeApproximately(batch.Average(s => s.TcpConnections), 1e-9);
        m.TcpConnectionsMax.Should().Be(6);
        m.MemUsedBytesMax.Should().Be(1_000_060);
        m.NetRxBpsAvg.Should().Be(2000).And.Be((total - 5_000) / 60.0, "an averaged rate is the counter delta over the time");
        m.NetRxBpsMax.Should().Be(3000);
        m.NetRxTotalLast.Should().Be(total);
        m.UptimeSecondsLast.Should().Be(1060);
        (await WatermarkAsync(RollupWatermark.Minute)).Should().Be(T0 + MinuteMs);
    }

    [Fact]
    public async Task Hour_average_is_weighted_by_sample_count()
    {
        await Writer.StoreAsync("n1", Run(1, T0, 60, _ => 10));                 // minute 0: 60 samples at 10 %
        await Writer.StoreAsync("n1", Run(61, T0 + MinuteMs, 20, _ => 40));     // minute 1: 20 samples at 40 %
        await Writer.StoreAsync("n1", Run(81, T0 + HourMs, 5, _ => 99));       // next hour, not complete

        await RollUpAsync(T0 + HourMs + 2 * MinuteMs);

        var h = (await RowsAsync(db => db.HourRollups)).Should().ContainSingle().Subject;
        h.Bucket.Should().Be(T0);
        h.SampleCount.Should().Be(80);
        h.CpuPercentAvg.Should().BeApproximately((60 * 10 + 20 * 40) / 80.0, 1e-9); // 17.5, not the 25 of avg-of-avg
        h.CpuPercentMax.Should().Be(40);
        h.UptimeSecondsLast.Should().Be(1080);
        (await WatermarkAsync(RollupWatermark.Hour)).Should().Be(T0 + HourMs);
    }

    [Fact]
    public async Task Samples_replayed_hours_later_end_up_in_both_rollup_tiers()
    {
        // n1 sends half a minute, goes offline; the Core rolls up well past it.
        await Writer.StoreAsync("n1", Run(1, T0, 30, _ => 20));
        await Writer.StoreAsync("n2", Run(1, T0 + 3 * HourMs, 10));
        await RollUpAsync(T0 + 3 * HourMs + 5 * MinuteMs);
        (await RowsAsync(db => db.MinuteRollups.Where(r => r.NodeId == "n1"))).Single().SampleCount.Should().Be(30);

        // n1 comes back and replays its buffer: the rest of minute 0 and minute 1.
        await Writer.StoreAsync("n1", Run(31, T0 + 30_000, 60, _ => 80));
        (await RowsAsync(db => db.DirtyHours)).Should().ContainSingle().Which.HourMs.Should().Be(T0);
        await RollUpAsync(T0 + 3 * HourMs + 6 * MinuteMs);

        var minutes = await RowsAsync(db => db.MinuteRollups.Where(r => r.NodeId == "n1").OrderBy(r => r.Bucket));
        minutes.Select(r => (r.Bucket - T0, r.SampleCount)).Should().Equal((0L, 60), (MinuteMs, 30));
        minutes[0].CpuPercentAvg.Should().BeApproximately(50, 1e-9);
        var hour = (await RowsAsync(db => db.HourRollups.Where(r => r.NodeId == "n1"))).Should().ContainSingle().Subject;
        hour.SampleCount.Should().Be(90);
        hour.CpuPercentAvg.Should().BeApproximately((30 * 20 + 60 * 80) / 90.0, 1e-9);
        (await RowsAsync(db => db.DirtyHours)).Should().BeEmpty();
    }

    [Fact]
    public async Task Watermark_is_persisted_so_a_restart_neither_skips_nor_repeats_minutes()
    {
        // Ten minutes of samples, rolled up by one job instance halfway, by a "restarted" one later.
        await Writer.StoreAsync("n1", Run(1, T0, 600, i => i / 60));
        await RollUpAsync(T0 + 4 * MinuteMs + 20_000);
        (await WatermarkAsync(RollupWatermark.Minute)).Should().Be(T0 + 4 * MinuteMs);
        (await RowsAsync(db => db.MinuteRollups)).Should().HaveCount(4);

        await RollUpAsync(T0 + 10 * MinuteMs + 20_000);
        var minutes = await RowsAsync(db => db.MinuteRollups.OrderBy(r => r.Bucket));
        minutes.Select(r => r.Bucket - T0).Should().Equal(Enumerable.Range(0, 10).Select(i => i * MinuteMs));
        minutes.Should().OnlyContain(r => r.SampleCount == 60);
        minutes.Select(r => r.CpuPercentAvg).Should().Equal(Enumerable.Range(0, 10).Select(i => (double)i));
    }

    [Fact]
    public async Task A_long_outage_is_caught_up_and_empty_stretches_are_skipped()
    {
        await Writer.StoreAsync("n1", Run(1, T0, 5));
        await Writer.StoreAsync("n1", Run(6, T0 + 5 * 24 * HourMs + 17 * MinuteMs, 5));
        await RollUpAsync(T0 + 6 * 24 * HourMs);

        (await RowsAsync(db => db.MinuteRollups.OrderBy(r => r.Bucket).Select(r => r.Bucket - T0)))
            .Should().Equal(0L, 5 * 24 * HourMs + 17 * MinuteMs);
        (await RowsAsync(db => db.HourRollups.OrderBy(r => r.Bucket).Select(r => r.Bucket - T0)))
            .Should().Equal(0L, 5 * 24 * HourMs);
        (await WatermarkAsync(RollupWatermark.Hour)).Should().Be(T0 + 6 * 24 * HourMs - HourMs);
    }

    [Fact]
    public async Task Retention_deletes_only_rows_older_than_their_tier_keeps()
    {
        Retention.RawHours = 2;
        Retention.MinuteDays = 1;
        Retention.HourDays = 2;
        var now = T0 + 36 * HourMs;
        await Writer.StoreAsync("n1", Run(1, T0, 120));                       // old: 1.5 days ago
        await Writer.StoreAsync("n1", Run(500, now - 90 * MinuteMs, 60));     // recent
        await RollUpAsync(now);
        await using (var db = Factory.CreateDbContext())
        {
            db.Nodes.Add(new App.Features.Nodes.NodeRecord { Id = "n1", Name = "a", MachineId = "m", SecretHash = "h", LastSeq = 3 });
            await db.SaveChangesAsync();
        }

        var deleted = await PruneAsync(now);

        deleted.Should().Be((120L, 2L, 0L));
        (await RowsAsync(db => db.Samples.Select(s => s.Seq))).Should().HaveCount(60).And.OnlyContain(s => s >= 500);
        (await RowsAsync(db => db.MinuteRollups.Select(r => r.Bucket))).Should().Equal(now - 90 * MinuteMs);
        (await RowsAsync(db => db.HourRollups.OrderBy(r => r.Bucket).Select(r => r.Bucket))).Should().Equal(T0, now - 2 * HourMs);
        (await RowsAsync(db => db.Nodes.Select(n => n.LastSeq))).Should().Equal(559L);
        (await PruneAsync(now)).Should().Be((0L, 0L, 0L));
    }

    [Fact]
    public async Task Retention_keeps_raw_rows_that_are_not_rolled_up_yet()
    {
        Retention.RawHours = 1;
        await Writer.StoreAsync("n1", Run(1, T0, 10));
        // The rollup job has not run (e.g. the Core was down): raw is the only copy.
        (await PruneAsync(T0 + 3 * HourMs)).Raw.Should().Be(0);
        await RollUpAsync(T0 + 3 * HourMs);
        (await PruneAsync(T0 + 3 * HourMs)).Raw.Should().Be(10);
        (await RowsAsync(db => db.MinuteRollups)).Should().ContainSingle().Which.SampleCount.Should().Be(10);
    }
}

#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class SqliteRollupTests() : RollupTests(new SqliteDatabases());
#pragma warning restore CA2000

[Collection(PostgresCollection.Name)]
#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class PostgresRollupTests(PostgresServer server) : RollupTests(new PostgresDatabases(server));
#pragma warning restore CA2000
