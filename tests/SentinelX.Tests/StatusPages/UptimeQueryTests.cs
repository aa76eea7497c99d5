using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Probes;
using SentinelX.App.Features.StatusPages;
using SentinelX.Tests.Storage;
using Xunit;
using static SentinelX.App.Features.StatusPages.UptimeHours;

namespace SentinelX.Tests.StatusPages;

/// <summary>
/// Uptime read from rows inserted into each tier: every stretch of time comes from exactly one tier
/// (hour rollups, then minute rollups, then raw rows), and nothing before a Node's creation counts.
/// </summary>
public abstract class UptimeQueryTests(ITestDatabases databases) : IAsyncLifetime
{
    /// <summary>2026-11-22 00:00:00 UTC, a day boundary.</summary>
    private const long T0 = 1_795_305_600_000;
    private const long Day = DayMs, Hour = HourMs, Minute = MinuteMs;

    // Counting ends at 10:00 on day 2; the minute rollups reach 09:55, the hour rollups are trusted up to day 1.
    private const long End = T0 + 2 * Day + 10 * Hour;
    private const long MinuteMark = End - 5 * Minute;

    private TestDbFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _factory = new TestDbFactory(await databases.CreateAsync());
        await using var db = _factory.CreateDbContext();
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync() => await databases.DisposeAsync();

    private UptimeQuery Query => new(_factory);

    [Fact]
    public async Task Node_uptime_takes_each_stretch_from_one_tier_and_starts_at_creation()
    {
        await using (var db = _factory.CreateDbContext())
        {
            // Hours of day -1 and day 0: up, except 30 minutes' worth of samples at 05:00 and nothing at 06:00 on day -1.
            for (var hour = T0 - Day; hour < T0 + Day; hour += Hour)
            {
                if (hour == T0 - Day + 6 * Hour) continue;
                db.HourRollups.Add(new HourRollup { NodeId = "n1", Bucket = hour, SampleCount = hour == T0 - Day + 5 * Hour ? 1800 : 3600 });
            }

            // Later hours exist as hour rollups too, but their minutes are still held: the minutes count.
            db.HourRollups.Add(new HourRollup { NodeId = "n1", Bucket = T0 + Day + 3 * Hour, SampleCount = 3600 });
            // Minutes from day 1 to the minute watermark: up, except the second half of 03:00 on day 1.
            for (var minute = T0 + Day; minute < MinuteMark; minute += Minute)
            {
                if (minute >= T0 + Day + 3 * Hour + 30 * Minute && minute < T0 + Day + 4 * Hour) continue;
                db.MinuteRollups.Add(new MinuteRollup { NodeId = "n1", Bucket = minute, SampleCount = 60 });
            }

            // Raw samples: in a minute the minute rollups say was down (ignored), then 3 of the last 5 minutes.
            long seq = 1;
            db.Samples.Add(new SampleRow { NodeId = "n1", Seq = seq++, Ts = T0 + Day + 3 * Hour + 40 * Minute });
            foreach (var minute in new[] { MinuteMark, MinuteMark + Minute, MinuteMark + 4 * Minute })
            {
                db.Samples.Add(new SampleRow { NodeId = "n1", Seq = seq++, Ts = minute + 1_000 });
                db.Samples.Add(new SampleRow { NodeId = "n1", Seq = seq++, Ts = minute + 2_000 });
            }

            // A Node created at 09:30 on day 2: its minutes and its raw samples, all up.
            for (var minute = End - 30 * Minute; minute < MinuteMark; minute += Minute)
                db.MinuteRollups.Add(new MinuteRollup { NodeId = "n2", Bucket = minute, SampleCount = 12 });
            for (var minute = MinuteMark; minute < End; minute += Minute)
                db.Samples.Add(new SampleRow { NodeId = "n2", Seq = seq++, Ts = minute + 30_000 });
            await db.SaveChangesAsync();
            await SetWatermarksAsync(db, minute: MinuteMark, hour: End - Hour);
        }

        var minutes = await Query.NodeUpMinutesAsync([new NodeSpan("n1", T0 - Day, null), new NodeSpan("n2", End - 30 * Minute, 5000)], End, CancellationToken.None);
        var n1 = ForNode(minutes["n1"], T0 - Day, UptimeQuery.StartFor(End), End).Summarize(End);
        var n2 = ForNode(minutes["n2"], End - 30 * Minute, UptimeQuery.StartFor(End), End).Summarize(End);

        minutes["n1"][T0 - Day + 5 * Hour].Should().Be(30, "1800 samples at 60 a minute (the minute rollups' average) are 30 minutes");
        minutes["n1"].Should().NotContainKey(T0 - Day + 6 * Hour);
        minutes["n1"][T0 + Day + 3 * Hour].Should().Be(30, "the minute rollups count, not the hour rollup of the same hour");
        minutes["n1"][End - Hour].Should().Be(55 + 3);
        // 82 hours expected since creation; 90 minutes of the hour tier, 30 of the minute tier and 2 raw minutes were down.
        n1.Quarter.Should().BeApproximately(100.0 * (82 * 60 - 90 - 30 - 2) / (82 * 60), 1e-9);
        n1.Day.Should().BeApproximately(100.0 * (24 * 60 - 2) / (24 * 60), 1e-9);
        n1.Days.TakeWhile(d => d.Day < T0 - Day).Should().OnlyContain(d => d.Percent == null, "the Node did not exist yet");
        n1.Days.Where(d => d.Day >= T0 - Day).Select(d => d.Percent).Should().Equal(
            100.0 * (24 * 60 - 90) / (24 * 60), 100.0, 100.0 * (24 * 60 - 30) / (24 * 60), 100.0 * (10 * 60 - 2) / (10 * 60));
        n2.Day.Should().Be(100, "a Node is expected up only since it was created");
        n2.Days.Count(d => d.Percent is not null).Should().Be(1);
    }

    [Fact]
    public async Task Minutes_older_than_two_days_are_read_from_the_hour_rollups()
    {
        await using (var db = _factory.CreateDbContext())
        {
            // Three days of minutes, all up; the hour rollups say the oldest hour had half its samples.
            for (var minute = End - 72 * Hour; minute < End; minute += Minute)
                db.MinuteRollups.Add(new MinuteRollup { NodeId = "n1", Bucket = minute, SampleCount = 60 });
            for (var hour = End - 72 * Hour; hour < End; hour += Hour)
                db.HourRollups.Add(new HourRollup { NodeId = "n1", Bucket = hour, SampleCount = hour == End - 72 * Hour ? 1800 : 3600 });
            await db.SaveChangesAsync();
            await SetWatermarksAsync(db, minute: End, hour: End);
        }

        var minutes = await Query.NodeUpMinutesAsync([new NodeSpan("n1", End - 72 * Hour, 1000)], End, CancellationToken.None);

        minutes["n1"][End - 72 * Hour].Should().Be(30, "beyond two days the hour rollups count");
        minutes["n1"].Values.Sum().Should().Be(72 * 60 - 30);
    }

    [Fact]
    public async Task Hours_before_the_minutes_use_the_interval_the_node_announced()
    {
        await using (var db = _factory.CreateDbContext())
        {
            db.HourRollups.Add(new HourRollup { NodeId = "n1", Bucket = T0, SampleCount = 360 });
            await db.SaveChangesAsync();
            await SetWatermarksAsync(db, minute: End, hour: End);
        }

        var slow = await Query.NodeUpMinutesAsync([new NodeSpan("n1", T0 - Day, 5000)], End, CancellationToken.None);
        var unknown = await Query.NodeUpMinutesAsync([new NodeSpan("n1", T0 - Day, null)], End, CancellationToken.None);

        slow["n1"][T0].Should().Be(30, "360 samples every 5 s are 30 minutes");
        unknown["n1"][T0].Should().Be(6, "without an interval and without minute rollups, one sample a second");
    }

    [Fact]
    public async Task Probe_uptime_adds_every_node_and_each_stretch_comes_from_one_tier()
    {
        await using (var db = _factory.CreateDbContext())
        {
            // Hour rollups for day 0 from two Nodes; the newest one marks where the hour tier ends.
            for (var hour = T0; hour < T0 + Day; hour += Hour)
            {
                db.ProbeHours.Add(new ProbeHour { ProbeId = "p1", NodeId = "n1", Bucket = hour, Checks = 120, Failures = hour == T0 + 5 * Hour ? 12 : 0 });
                db.ProbeHours.Add(new ProbeHour { ProbeId = "p1", NodeId = "n2", Bucket = hour, Checks = 60, Failures = 0 });
            }

            // Minutes inside the hour tier are ignored; then two hours of minutes, one of them all failed.
            db.ProbeMinutes.Add(new ProbeMinute { ProbeId = "p1", NodeId = "n1", Bucket = T0 + 5 * Hour, Checks = 2, Failures = 2 });
            for (var minute = T0 + Day; minute < T0 + Day + 2 * Hour; minute += Minute)
                db.ProbeMinutes.Add(new ProbeMinute { ProbeId = "p1", NodeId = "n1", Bucket = minute, Checks = 2, Failures = minute == T0 + Day + Hour ? 2 : 0 });

            // Raw results after the minutes: n1's newest check failed, n2's passed.
            db.ProbeResults.Add(new ProbeResultRow { ProbeId = "p1", NodeId = "n1", At = End - 10 * Minute, Ok = true });
            db.ProbeResults.Add(new ProbeResultRow { ProbeId = "p1", NodeId = "n1", At = End - 5 * Minute, Ok = false, Error = "timeout" });
            db.ProbeResults.Add(new ProbeResultRow { ProbeId = "p1", NodeId = "n2", At = End - 4 * Minute, Ok = true });
            db.ProbeResults.Add(new ProbeResultRow { ProbeId = "p2", NodeId = "n2", At = End - 4 * Minute, Ok = true });
            db.ProbeResults.Add(new ProbeResultRow { ProbeId = "p3", NodeId = "n2", At = End - 2 * Hour, Ok = false });
            await db.SaveChangesAsync();
        }

        var hours = await Query.ProbeHoursAsync(["p1", "p2"], End, CancellationToken.None);
        var states = await Query.ProbeStatesAsync(["p1", "p2", "p3"], End - 30 * Minute, CancellationToken.None);
        var p1 = hours["p1"].Summarize(End);

        var checks = 24 * 180 + 120 * 2 + 3;
        p1.Quarter.Should().BeApproximately(100.0 * (checks - 12 - 2 - 1) / checks, 1e-9);
        p1.Days[^3].Percent.Should().BeApproximately(100.0 * (24 * 180 - 12) / (24 * 180), 1e-9);
        p1.Days[^2].Percent.Should().BeApproximately(100.0 * (240 - 2) / 240, 1e-9);
        p1.Days[^1].Percent.Should().BeApproximately(100.0 * 2 / 3, 1e-9);
        hours["p2"].Summarize(End).Day.Should().Be(100);
        states.Should().BeEquivalentTo(new Dictionary<string, bool> { ["p1"] = false, ["p2"] = true }, "p3's last check is too old to tell");
    }

    private static async Task SetWatermarksAsync(App.Features.Storage.SentinelDb db, long minute, long hour)
    {
        await db.RollupWatermarks.Where(w => w.Name == RollupWatermark.Minute).ExecuteUpdateAsync(s => s.SetProperty(w => w.WatermarkMs, minute));
        await db.RollupWatermarks.Where(w => w.Name == RollupWatermark.Hour).ExecuteUpdateAsync(s => s.SetProperty(w => w.WatermarkMs, hour));
    }
}

#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class SqliteUptimeQueryTests() : UptimeQueryTests(new SqliteDatabases());

[Collection(PostgresCollection.Name)]
public sealed class PostgresUptimeQueryTests(PostgresServer server) : UptimeQueryTests(new PostgresDatabases(server));
#pragma warning restore CA2000
