using System.Collections.Concurrent;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;
using Xunit;
using static SentinelX.Tests.Storage.Samples;

namespace SentinelX.Tests.Storage;

/// <summary>The batched writer stores each sample exactly once and acknowledges only what committed.</summary>
public abstract class SampleWriterTests(ITestDatabases databases) : IAsyncLifetime
{
    private DbContextOptions<SentinelDb> _options = null!;
    private TestDbFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _options = await databases.CreateAsync();
        _factory = new TestDbFactory(_options);
        await using var db = _factory.CreateDbContext();
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync() => databases.DisposeAsync().AsTask();

    [Fact]
    public async Task Same_batch_submitted_twice_is_stored_once_and_acked_twice()
    {
        await using var writer = await RunningWriter.StartAsync(_factory);
        var batch = Run(1, T0, 50, i => i);

        (await writer.StoreAsync("n1", batch)).Should().Be(50);
        (await writer.StoreAsync("n1", batch)).Should().Be(50);

        await using var db = _factory.CreateDbContext();
        (await db.Samples.CountAsync()).Should().Be(50);
        (await db.Samples.Where(s => s.Seq == 7).Select(s => s.CpuPercent).SingleAsync()).Should().Be(6);
        writer.Writer.Stats.StoredSamples.Should().Be(50);
        writer.Writer.Stats.DuplicateSamples.Should().Be(50);
    }

    [Fact]
    public async Task Flush_returns_once_every_sample_queued_before_it_is_committed()
    {
        // A batch delay far beyond the test: only the barrier can make the writer commit now.
        await using var writer = await RunningWriter.StartAsync(_factory, new SampleWriterSettings { MaxBatchDelay = TimeSpan.FromMinutes(5) });
        var acked = new ConcurrentBag<long>();
        await writer.Writer.EnqueueAsync("n1", Run(1, T0, 40), acked.Add, CancellationToken.None);
        await writer.Writer.EnqueueAsync("n2", Run(1, T0, 10), acked.Add, CancellationToken.None);

        await writer.Writer.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        await using var db = _factory.CreateDbContext();
        (await db.Samples.CountAsync()).Should().Be(50);
        acked.Order().Should().Equal(10, 40);
    }

    [Fact]
    public async Task Flush_of_an_idle_writer_returns_and_one_after_stop_is_refused()
    {
        var writer = await RunningWriter.StartAsync(_factory);
        await writer.Writer.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        await writer.DisposeAsync();

        var flush = () => writer.Writer.FlushAsync(CancellationToken.None);

        await flush.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Replay_after_writer_restart_is_stored_once()
    {
        var batch = Run(100, T0, 30);
        await using (var first = await RunningWriter.StartAsync(_factory))
            await first.StoreAsync("n1", batch[..20]);
        // The Node did not see the ack and replays everything, overlapping what was stored.
        await using (var second = await RunningWriter.StartAsync(_factory))
            (await second.StoreAsync("n1", batch)).Should().Be(129);

        await using var db = _factory.CreateDbContext();
        (await db.Samples.Select(s => s.Seq).OrderBy(s => s).ToListAsync()).Should().Equal(Enumerable.Range(100, 30).Select(i => (long)i));
    }

    [Fact]
    public async Task OnStored_runs_only_after_the_samples_are_committed()
    {
        await using var writer = await RunningWriter.StartAsync(_factory);
        var seenInCallback = new ConcurrentBag<(long Acked, int VisibleElsewhere)>();
        using var done = new CountdownEvent(20);
        for (var n = 0; n < 20; n++)
        {
            var node = $"node{n}";
            await writer.Writer.EnqueueAsync(node, Run(1, T0, 10), acked =>
            {
                // A separate connection sees only committed rows.
                using var other = SentinelDb.Create(_options);
                var visible = other.Samples.Count(s => s.NodeId == node && s.Seq <= acked);
                seenInCallback.Add((acked, visible));
                done.Signal();
            }, CancellationToken.None);
        }
        done.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
        seenInCallback.Should().HaveCount(20).And.OnlyContain(x => x.Acked == 10 && x.VisibleElsewhere == 10);
    }

    [Fact]
    public async Task Submissions_of_one_node_are_acked_in_order()
    {
        await using var writer = await RunningWriter.StartAsync(_factory, new SampleWriterSettings { MaxBatchRows = 7 });
        var acks = new ConcurrentQueue<long>();
        var last = new TaskCompletionSource();
        for (var i = 0; i < 40; i++)
        {
            var isLast = i == 39;
            await writer.Writer.EnqueueAsync("n1", Run(i * 3 + 1, T0 + i * 3000, 3), seq =>
            {
                acks.Enqueue(seq);
                if (isLast) last.SetResult();
            }, CancellationToken.None);
        }
        await last.Task.WaitAsync(TimeSpan.FromSeconds(30));
        acks.Should().Equal(Enumerable.Range(1, 40).Select(i => (long)i * 3));
        writer.Writer.Stats.Transactions.Should().BeGreaterThan(1);
    }

    [Fact]
    public async Task Samples_at_or_below_the_nodes_recorded_last_seq_are_not_stored_again()
    {
        await using (var db = _factory.CreateDbContext())
        {
            db.Nodes.Add(new NodeRecord { Id = "n1", Name = "a", MachineId = "m1", SecretHash = "h", LastSeq = 10 });
            await db.SaveChangesAsync();
        }
        await using var writer = await RunningWriter.StartAsync(_factory);
        // Seqs 1-10 were stored long ago and pruned from raw; a late replay must not bring them back.
        (await writer.StoreAsync("n1", Run(1, T0, 15))).Should().Be(15);

        await using var check = _factory.CreateDbContext();
        (await check.Samples.Select(s => s.Seq).OrderBy(s => s).ToListAsync()).Should().Equal(11L, 12L, 13L, 14L, 15L);
    }

    [Fact]
    public async Task Late_samples_below_the_minute_watermark_mark_their_hours_dirty()
    {
        await using (var db = _factory.CreateDbContext())
        {
            await db.RollupWatermarks.Where(w => w.Name == RollupWatermark.Minute)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.WatermarkMs, T0 + 3 * RollupSql.HourMs));
        }
        await using var writer = await RunningWriter.StartAsync(_factory);
        await writer.StoreAsync("n1", [At(1, T0 + 10_000), At(2, T0 + RollupSql.HourMs + 5), At(3, T0 + 4 * RollupSql.HourMs)]);

        await using var check = _factory.CreateDbContext();
        (await check.DirtyHours.OrderBy(d => d.HourMs).Select(d => d.NodeId + "@" + (d.HourMs - T0)).ToListAsync())
            .Should().Equal("n1@0", "n1@3600000");
    }

    [Fact]
    public async Task Non_finite_values_are_stored_as_zero_instead_of_blocking_the_writer()
    {
        await using var writer = await RunningWriter.StartAsync(_factory);
        (await writer.StoreAsync("n1", [At(1, T0) with { CpuPercent = double.NaN, NetRxBps = double.PositiveInfinity }])).Should().Be(1);
        await using var db = _factory.CreateDbContext();
        var row = await db.Samples.SingleAsync();
        row.CpuPercent.Should().Be(0);
        row.NetRxBps.Should().Be(0);
    }

    [Fact]
    public async Task A_failing_database_is_retried_and_nothing_is_acked_until_stored()
    {
        await using var writer = await RunningWriter.StartAsync(_factory, new SampleWriterSettings { MaxRetryDelay = TimeSpan.FromMilliseconds(200) });
        await writer.StoreAsync("n1", Run(1, T0, 1));
        await using (var db = _factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE samples RENAME TO samples_away");

        var acked = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await writer.Writer.EnqueueAsync("n1", Run(2, T0 + 1000, 3), acked.SetResult, CancellationToken.None);
        await Task.Delay(1500);
        acked.Task.IsCompleted.Should().BeFalse("nothing was stored while the table was missing");
        writer.Writer.Stats.FailedAttempts.Should().BeGreaterThan(0);

        await using (var db = _factory.CreateDbContext())
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE samples_away RENAME TO samples");
        (await acked.Task.WaitAsync(TimeSpan.FromSeconds(20))).Should().Be(4);
        await using var check = _factory.CreateDbContext();
        (await check.Samples.CountAsync()).Should().Be(4);
    }

    [Fact]
    public async Task Scalar_fields_round_trip_through_GetLatest()
    {
        await using (var writer = await RunningWriter.StartAsync(_factory))
            await writer.StoreAsync("n1", Run(1, T0, 3));
        var query = new MetricsQuery(_factory, Microsoft.Extensions.Options.Options.Create(new RetentionOptions()), new FixedTime(T0));
        var expected = At(3, T0 + 2000);

        var latest = await query.GetLatestAsync("n1");

        latest.Should().BeEquivalentTo(expected);
        (await query.GetLastStoredSeqAsync("n1")).Should().Be(3);
        (await query.GetLastStoredSeqAsync("nobody")).Should().Be(0);
        (await query.GetLatestAsync("nobody")).Should().BeNull();
    }
}

#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class SqliteSampleWriterTests() : SampleWriterTests(new SqliteDatabases());
#pragma warning restore CA2000

[Collection(PostgresCollection.Name)]
#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class PostgresSampleWriterTests(PostgresServer server) : SampleWriterTests(new PostgresDatabases(server));
#pragma warning restore CA2000
