using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>A migrated database, a running writer, and the rollup/retention jobs and queries over it.</summary>
public abstract class MetricsTestBase(ITestDatabases databases) : IAsyncLifetime
{
    internal TestDbFactory Factory { get; private set; } = null!;
    internal RunningWriter Writer { get; private set; } = null!;
    internal FixedTime Clock { get; } = new(Samples.T0);
    internal RetentionOptions Retention { get; } = new();

    public async Task InitializeAsync()
    {
        Factory = new TestDbFactory(await databases.CreateAsync());
        await using (var db = Factory.CreateDbContext())
            await db.Database.MigrateAsync();
        Writer = await RunningWriter.StartAsync(Factory);
    }

    public async Task DisposeAsync()
    {
        await Writer.DisposeAsync();
        await databases.DisposeAsync();
    }

    /// <summary>A new job instance each time, as after a Core restart: all state must come from the database.</summary>
    internal Task RollUpAsync(long nowMs) =>
        new RollupJob(Factory, Clock, NullLogger<RollupJob>.Instance).RunOnceAsync(nowMs, CancellationToken.None);

    internal Task<(long Raw, long Minute, long Hour)> PruneAsync(long nowMs) =>
        new RetentionJob(Factory, Options.Create(Retention), Clock, NullLogger<RetentionJob>.Instance).RunOnceAsync(nowMs, CancellationToken.None);

    internal MetricsQuery Query => new(Factory, Options.Create(Retention), Clock);

    internal async Task<long> WatermarkAsync(string name)
    {
        await using var db = Factory.CreateDbContext();
        return await db.RollupWatermarks.Where(w => w.Name == name).Select(w => w.WatermarkMs).SingleAsync();
    }

    internal async Task<List<T>> RowsAsync<T>(Func<SentinelDb, IQueryable<T>> query)
    {
        await using var db = Factory.CreateDbContext();
        return await query(db).ToListAsync();
    }
}
