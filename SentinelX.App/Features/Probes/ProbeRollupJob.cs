using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Probes;

/// <summary>
/// Rolls probe results up into minutes and hours, and prunes each tier (raw 2 days, minutes 14 days,
/// hours 400 days). Every run recomputes the buckets from the oldest result stored since the last run
/// (<see cref="MarkDirty"/>; results a Node replays after an outage are older than "now"), and at
/// least the last two hours, so a bucket is always the whole of what is stored for it.
/// </summary>
public sealed class ProbeRollupJob(IDbContextFactory<SentinelDb> dbFactory, TimeProvider time) : IPeriodicJob
{
    public static readonly TimeSpan RawRetention = TimeSpan.FromDays(2);
    public static readonly TimeSpan MinuteRetention = TimeSpan.FromDays(14);
    public static readonly TimeSpan HourRetention = TimeSpan.FromDays(400);

    private const long MinuteMs = 60_000;
    private const long HourMs = 3_600_000;

    // long.MinValue until the first run: then everything raw is rolled up once (a restart may have lost marks).
    private static long _dirtyFrom = long.MinValue;

    public string Name => "probe-rollup";
    public TimeSpan Interval => TimeSpan.FromMinutes(1);

    /// <summary>Results at <paramref name="atMs"/> were just stored: their buckets must be computed again.</summary>
    public static void MarkDirty(long atMs)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _dirtyFrom);
            if (current <= atMs) return;
        }
        while (Interlocked.CompareExchange(ref _dirtyFrom, atMs, current) != current);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var floor = now - (long)RawRetention.TotalMilliseconds;
        var dirty = Interlocked.Exchange(ref _dirtyFrom, long.MaxValue);
        var from = Math.Max(floor, Math.Min(dirty, now - 2 * HourMs));
        await RollUpAsync(from, now, ct);
    }

    /// <summary>Recomputes every minute and hour bucket from <paramref name="fromMs"/> (rounded down to its hour) and prunes.</summary>
    public async Task RollUpAsync(long fromMs, long nowMs, CancellationToken ct)
    {
        // Not below the oldest whole hour raw results still cover: pruned results cannot be rolled up again.
        var floor = nowMs - (long)RawRetention.TotalMilliseconds;
        var hour = Math.Max(fromMs - (fromMs % HourMs + HourMs) % HourMs, floor - (floor % HourMs) + HourMs);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.ProbeMinutes.Where(m => m.Bucket >= hour).ExecuteDeleteAsync(ct);
        await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO probe_results_1m (probe_id, node_id, bucket, checks, failures, latency_avg, latency_min, latency_max) " +
            "SELECT probe_id, node_id, at - (at % 60000), COUNT(*), SUM(CASE WHEN ok THEN 0 ELSE 1 END), " +
            "AVG(CASE WHEN ok THEN latency_ms END), MIN(CASE WHEN ok THEN latency_ms END), MAX(CASE WHEN ok THEN latency_ms END) " +
            "FROM probe_results WHERE at >= {0} GROUP BY probe_id, node_id, at - (at % 60000)", [hour], ct);
        await db.ProbeHours.Where(h => h.Bucket >= hour).ExecuteDeleteAsync(ct);
        // An hour's average weighs each minute by its successful checks.
        await db.Database.ExecuteSqlRawAsync(
            "INSERT INTO probe_results_1h (probe_id, node_id, bucket, checks, failures, latency_avg, latency_min, latency_max) " +
            "SELECT probe_id, node_id, bucket - (bucket % 3600000), SUM(checks), SUM(failures), " +
            "SUM(latency_avg * (checks - failures)) / NULLIF(SUM(CASE WHEN latency_avg IS NULL THEN 0 ELSE checks - failures END), 0), " +
            "MIN(latency_min), MAX(latency_max) " +
            "FROM probe_results_1m WHERE bucket >= {0} GROUP BY probe_id, node_id, bucket - (bucket % 3600000)", [hour], ct);
        await db.ProbeResults.Where(r => r.At < nowMs - (long)RawRetention.TotalMilliseconds).ExecuteDeleteAsync(ct);
        await db.ProbeMinutes.Where(r => r.Bucket < nowMs - (long)MinuteRetention.TotalMilliseconds).ExecuteDeleteAsync(ct);
        await db.ProbeHours.Where(r => r.Bucket < nowMs - (long)HourRetention.TotalMilliseconds).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
    }
}
