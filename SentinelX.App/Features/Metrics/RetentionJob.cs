using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Storage;
using static SentinelX.App.Features.Metrics.RollupSql;

namespace SentinelX.App.Features.Metrics;

/// <summary>
/// Deletes metric rows older than <see cref="RetentionOptions"/> allows, in small time slices so
/// the sample writer is never blocked for long. Never deletes rows a rollup still needs: raw rows
/// above the minute watermark, minute rows above the hour watermark, or anything in a dirty hour.
/// </summary>
public sealed class RetentionJob(IDbContextFactory<SentinelDb> dbFactory, IOptions<RetentionOptions> options, TimeProvider time,
    ILogger<RetentionJob> log) : IPeriodicJob
{
    public string Name => "metric-retention";
    public TimeSpan Interval => TimeSpan.FromMinutes(10);
    public TimeSpan InitialDelay => TimeSpan.FromMinutes(1);

    public Task RunAsync(CancellationToken ct) => RunOnceAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), ct);

    /// <summary>Prunes every tier as of <paramref name="nowMs"/>; returns the rows deleted per tier.</summary>
    public async Task<(long Raw, long Minute, long Hour)> RunOnceAsync(long nowMs, CancellationToken ct)
    {
        var retention = options.Value;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var sql = new RollupJob.Sql(db);

        var minuteWatermark = await sql.ScalarAsync($"SELECT watermark_ms FROM rollup_state WHERE name = '{RollupWatermark.Minute}'", ct) ?? 0;
        var hourWatermark = await sql.ScalarAsync($"SELECT watermark_ms FROM rollup_state WHERE name = '{RollupWatermark.Hour}'", ct) ?? 0;
        var firstDirty = await sql.ScalarAsync("SELECT MIN(hour_ms) FROM rollup_dirty", ct) ?? long.MaxValue;

        var rawCut = Min(nowMs - retention.RawRetentionMs, minuteWatermark, firstDirty);
        var minuteCut = Min(nowMs - retention.MinuteRetentionMs, hourWatermark, firstDirty);
        var hourCut = nowMs - retention.HourRetentionMs;

        // nodes.last_seq must still know the highest stored seq once its raw row is gone, so a
        // Node replaying an old sample is not stored twice (SampleWriter skips seq <= last_seq).
        await sql.ExecuteAsync(
            "UPDATE nodes SET last_seq = (SELECT MAX(s.seq) FROM samples s WHERE s.node_id = nodes.id) " +
            "WHERE last_seq < (SELECT MAX(s.seq) FROM samples s WHERE s.node_id = nodes.id)", ct);

        var raw = await PruneAsync(sql, "samples", "ts", rawCut, MinuteMs, ct);
        var minute = await PruneAsync(sql, "rollups_1m", "bucket", minuteCut, HourMs, ct);
        var hour = await PruneAsync(sql, "rollups_1h", "bucket", hourCut, 24 * HourMs, ct);
        if (raw + minute + hour > 0)
            log.LogInformation("Retention deleted {Raw} raw samples, {Minute} 1-minute and {Hour} 1-hour rollups", raw, minute, hour);
        return (raw, minute, hour);
    }

    private static async Task<long> PruneAsync(RollupJob.Sql sql, string table, string column, long cut, long sliceMs, CancellationToken ct)
    {
        long deleted = 0;
        while (!ct.IsCancellationRequested)
        {
            var oldest = await sql.ScalarAsync($"SELECT MIN({column}) FROM {table}", ct);
            if (oldest is not { } first || first >= cut)
                break;
            var to = Math.Min(first + sliceMs, cut);
            await using var tx = await sql.BeginAsync(ct);
            await using (var cmd = sql.Command($"DELETE FROM {table} WHERE {column} < @to", ("to", to)))
                deleted += await cmd.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }
        return deleted;
    }

    private static long Min(long a, long b, long c) => Math.Min(a, Math.Min(b, c));
}
