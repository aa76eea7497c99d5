using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Stores traffic deltas (rule totals, minute and hour buckets) and reads them back for charts and
/// monthly totals. One report from a Node, for all its rules, is one transaction.
/// </summary>
public sealed class ForwardTrafficStore(IDbContextFactory<SentinelDb> dbFactory)
{
    /// <summary>What one report added to one rule, and the Node's counters it was computed from.</summary>
    public sealed record Delta(string RuleId, ForwardCounters Added, ForwardCounters Reported);

    public async Task StoreAsync(IReadOnlyList<Delta> deltas, long nowMs, CancellationToken ct)
    {
        if (deltas.Count == 0) return;
        var minute = ForwardPeriods.Floor(nowMs, ForwardPeriods.MinuteMs);
        var hour = ForwardPeriods.Floor(nowMs, ForwardPeriods.HourMs);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var (ruleId, added, reported) in deltas)
        {
            // The rule may be deleted meanwhile: then nothing matches and nothing is stored.
            var rows = await db.Database.ExecuteSqlAsync($"""
                UPDATE forward_rules SET bytes_in = bytes_in + {added.BytesIn}, bytes_out = bytes_out + {added.BytesOut},
                    connections_total = connections_total + {added.Connections}, reported_bytes_in = {reported.BytesIn},
                    reported_bytes_out = {reported.BytesOut}, reported_connections = {reported.Connections}
                WHERE id = {ruleId}
                """, ct);
            if (rows == 0 || (added.BytesIn == 0 && added.BytesOut == 0)) continue;
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO forward_traffic_1m (rule_id, bucket, bytes_in, bytes_out) VALUES ({ruleId}, {minute}, {added.BytesIn}, {added.BytesOut})
                ON CONFLICT (rule_id, bucket) DO UPDATE SET bytes_in = forward_traffic_1m.bytes_in + excluded.bytes_in,
                    bytes_out = forward_traffic_1m.bytes_out + excluded.bytes_out
                """, ct);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO forward_traffic_1h (rule_id, bucket, bytes_in, bytes_out) VALUES ({ruleId}, {hour}, {added.BytesIn}, {added.BytesOut})
                ON CONFLICT (rule_id, bucket) DO UPDATE SET bytes_in = forward_traffic_1h.bytes_in + excluded.bytes_in,
                    bytes_out = forward_traffic_1h.bytes_out + excluded.bytes_out
                """, ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>Traffic from <paramref name="fromMs"/> to <paramref name="toMs"/> in buckets of <paramref name="bucketMs"/>, every bucket present.</summary>
    public async Task<IReadOnlyList<ForwardHistoryPoint>> HistoryAsync(string ruleId, long fromMs, long toMs, long bucketMs, bool hourly, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = hourly
            ? await db.ForwardHours.AsNoTracking().Where(r => r.RuleId == ruleId && r.Bucket >= fromMs && r.Bucket < toMs)
                .Select(r => new { r.Bucket, r.BytesIn, r.BytesOut }).ToListAsync(ct)
            : await db.ForwardMinutes.AsNoTracking().Where(r => r.RuleId == ruleId && r.Bucket >= fromMs && r.Bucket < toMs)
                .Select(r => new { r.Bucket, r.BytesIn, r.BytesOut }).ToListAsync(ct);
        var sums = rows.GroupBy(r => ForwardPeriods.Floor(r.Bucket, bucketMs))
            .ToDictionary(g => g.Key, g => (In: g.Sum(r => r.BytesIn), Out: g.Sum(r => r.BytesOut)));
        var points = new List<ForwardHistoryPoint>();
        for (var t = ForwardPeriods.Floor(fromMs, bucketMs); t < toMs; t += bucketMs)
        {
            var (bytesIn, bytesOut) = sums.GetValueOrDefault(t);
            points.Add(new ForwardHistoryPoint(t, bytesIn, bytesOut));
        }

        return points;
    }

    /// <summary>Bytes in and out of each rule per UTC day since <paramref name="fromMs"/>, from the hourly buckets.</summary>
    public async Task<IReadOnlyDictionary<string, List<(long Day, long In, long Out)>>> DaysAsync(long fromMs, CancellationToken ct)
    {
        const long dayMs = 24 * ForwardPeriods.HourMs;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.ForwardHours.AsNoTracking().Where(r => r.Bucket >= fromMs)
            .GroupBy(r => new { r.RuleId, Day = r.Bucket / dayMs })
            .Select(g => new { g.Key.RuleId, g.Key.Day, In = g.Sum(r => r.BytesIn), Out = g.Sum(r => r.BytesOut) })
            .ToListAsync(ct);
        return rows.GroupBy(r => r.RuleId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => (r.Day * dayMs, r.In, r.Out)).ToList(), StringComparer.Ordinal);
    }

    /// <summary>Totals of one rule in [from, to) per period, from the hourly buckets.</summary>
    public async Task<(long In, long Out)> SumAsync(string ruleId, long fromMs, long toMs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.ForwardHours.AsNoTracking().Where(r => r.RuleId == ruleId && r.Bucket >= fromMs && r.Bucket < toMs);
        return (await q.SumAsync(r => r.BytesIn, ct), await q.SumAsync(r => r.BytesOut, ct));
    }

    public async Task DeleteRuleAsync(string ruleId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.ForwardMinutes.Where(r => r.RuleId == ruleId).ExecuteDeleteAsync(ct);
        await db.ForwardHours.Where(r => r.RuleId == ruleId).ExecuteDeleteAsync(ct);
    }
}
