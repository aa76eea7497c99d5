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
        // A reader or writer that is busy at that moment keeps the checkpoint from completing; a
        // moment later it usually has finished.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            if (!await CheckpointBusyAsync(cmd, ct)) return;
            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
        }

        log.LogDebug("WAL checkpoint could not complete; retrying at the next run");
    }

    /// <summary>Runs the checkpoint; its first column is 1 when a reader or writer kept it from completing.</summary>
    private static async Task<bool> CheckpointBusyAsync(System.Data.Common.DbCommand cmd, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && reader.GetInt64(0) != 0;
    }
}
