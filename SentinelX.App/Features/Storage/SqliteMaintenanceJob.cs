using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Jobs;

namespace SentinelX.App.Features.Storage;

/// <summary>
/// Keeps a SQLite database lean: truncates the WAL (which otherwise only grows under a steady
/// writer) and lets SQLite refresh its planner statistics. Does nothing on PostgreSQL.
/// </summary>
internal sealed class SqliteMaintenanceJob(IDbContextFactory<SentinelDb> dbFactory, ILogger<SqliteMaintenanceJob> log) : IPeriodicJob
{
    public string Name => "sqlite-maintenance";
    public TimeSpan Interval => TimeSpan.FromMinutes(15);
    public TimeSpan InitialDelay => TimeSpan.FromMinutes(1);

    public async Task RunAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!db.Database.IsSqlite())
            return;
        await db.Database.OpenConnectionAsync(ct);
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        // optimize first: it may write fresh statistics, which the checkpoint then folds in.
        cmd.CommandText = "PRAGMA optimize;";
        await cmd.ExecuteNonQueryAsync(ct);
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        // Columns: busy (1 when a reader or writer kept the checkpoint from completing), log pages, checkpointed pages.
        if (await reader.ReadAsync(ct) && reader.GetInt64(0) != 0)
            log.LogDebug("WAL checkpoint could not complete; retrying at the next run");
    }
}
