using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Storage;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>Reports from Nodes stored in a real database (SQLite and PostgreSQL): totals, minute and hour buckets, charts, months and retention.</summary>
public abstract class ForwardTrafficTests(ITestDatabases databases) : IAsyncLifetime
{
    private static readonly long Start = DateTimeOffset.Parse("2026-12-20T10:00:30Z").ToUnixTimeMilliseconds();
    private IDbContextFactory<SentinelDb> _factory = null!;

    public async Task InitializeAsync()
    {
        var options = await databases.CreateAsync();
        await using var db = SentinelDb.Create(options);
        await db.Database.MigrateAsync();
        _factory = new TestDbFactory(options);
    }

    public Task DisposeAsync() => databases.DisposeAsync().AsTask();

    [Fact]
    public async Task Entry_reports_become_totals_and_buckets_and_other_nodes_reports_only_status()
    {
        var rule = ForwardCounterTests.Rule("r1", entry: "a", chain: ["a", "c"]);
        await using (var db = await _factory.CreateDbContextAsync())
        {
            db.ForwardRules.Add(rule);
            await db.SaveChangesAsync();
        }

        var registry = ForwardTestNodes.Registry();
        var live = new ForwardLive();
        live.Load([rule]);
        var time = new FixedTime(Start);
        var store = new ForwardTrafficStore(_factory);
        var ingest = new ForwardStatsIngest(live, store, time, NullLogger<ForwardStatsIngest>.Instance);

        (await ingest.IngestAsync(registry.Find("a")!, [ForwardCounterTests.Stats("r1", 1000, 5000, 2)], default)).Should().BeTrue();
        time.NowMs += 3_000;
        await ingest.IngestAsync(registry.Find("a")!, [ForwardCounterTests.Stats("r1", 1600, 5200, 3)], default);
        await ingest.IngestAsync(registry.Find("c")!, [ForwardCounterTests.Stats("r1", 99_999, 99_999, 9, "error", "connect 10.0.0.5:80: connection refused") with
        {
            ConnectionsActive = 2,
            TargetsDown = ["10.0.0.5:80"],
        }], default);
        // A Node cannot speak for a rule it does not run.
        (await ingest.IngestAsync(registry.Find("b")!, [ForwardCounterTests.Stats("r1", 5, 5, 5)], default)).Should().BeFalse();
        time.NowMs += 60 * 60_000; // next hour
        await ingest.IngestAsync(registry.Find("a")!, [ForwardCounterTests.Stats("r1", 100, 50, 1)], default); // the Node started counting again

        await using (var db = await _factory.CreateDbContextAsync())
        {
            var stored = await db.ForwardRules.AsNoTracking().SingleAsync();
            (stored.BytesIn, stored.BytesOut, stored.ConnectionsTotal).Should().Be((1700L, 5250L, 4L));
            (stored.ReportedBytesIn, stored.ReportedBytesOut, stored.ReportedConnections).Should().Be((100L, 50L, 1L));
            var minutes = await db.ForwardMinutes.AsNoTracking().OrderBy(m => m.Bucket).ToListAsync();
            minutes.Select(m => (m.Bucket - Start + 30_000, m.BytesIn, m.BytesOut)).Should().Equal((0L, 1600L, 5200L), (60 * 60_000L, 100L, 50L));
            var hours = await db.ForwardHours.AsNoTracking().OrderBy(m => m.Bucket).ToListAsync();
            hours.Select(h => (h.BytesIn, h.BytesOut)).Should().Equal((1600L, 5200L), (100L, 50L));
        }

        live.Placement("r1", "c").Should().BeEquivalentTo(new ForwardLive.PlacementState("error", "connect 10.0.0.5:80: connection refused")
        {
            ConnectionsActive = 2, BytesIn = 99_999, BytesOut = 99_999, TargetsDown = ["10.0.0.5:80"],
        });
        live.Placement("r1", "a").Status.Should().Be("active");
        var view = ForwardViews.Of(live.Find("r1")!, registry, live, 0, 0);
        view.Status.Should().Be("error");
        view.Error.Should().Be("exit-c: connect 10.0.0.5:80: connection refused");
        view.Stats.Should().Be(new ForwardStatsView(1700, 5250, 0, 4));
        view.Placements.Select(p => (p.NodeName, p.Role, p.Status)).Should().Equal(("entry-a", "entry", "active"), ("exit-c", "exit", "error"));
        // Each Node's own part: the exit's counters are its own, not added to the rule's totals.
        view.Placements.Select(p => (p.BytesIn, p.BytesOut, p.ConnectionsActive)).Should().Equal((100L, 50L, 0), (99_999L, 99_999L, 2));
        // The exit dials the targets, so its health checks are the ones that say which are down.
        view.TargetsDown.Should().Equal("10.0.0.5:80");

        // Charts: every bucket present, the traffic in the right one.
        var history = await store.HistoryAsync("r1", Start - 30_000, Start - 30_000 + 2 * 60 * 60_000, 60 * 60_000, hourly: true, default);
        history.Select(p => (p.BytesIn, p.BytesOut)).Should().Equal((1600L, 5200L), (100L, 50L));

        // The month is summed from hours; retention keeps recent rows and drops old ones.
        (await store.SumAsync("r1", Start - 60 * 60_000, long.MaxValue, default)).Should().Be((1700L, 5250L));
        var retention = new ForwardRetentionJob(_factory, Options.Create(new ForwardOptions()), time, NullLogger<ForwardRetentionJob>.Instance);
        (await retention.RunOnceAsync(time.NowMs, default)).Should().Be((0, 0));
        (await retention.RunOnceAsync(time.NowMs + 4L * 24 * 60 * 60_000, default)).Should().Be((2, 0));
        (await retention.RunOnceAsync(time.NowMs + 401L * 24 * 60 * 60_000, default)).Should().Be((0, 2));
    }
}

#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class SqliteForwardTrafficTests() : ForwardTrafficTests(new SqliteDatabases());
#pragma warning restore CA2000

[Collection(PostgresCollection.Name)]
#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class PostgresForwardTrafficTests(PostgresServer server) : ForwardTrafficTests(new PostgresDatabases(server));
#pragma warning restore CA2000
