using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Probes;

/// <summary>One stored check as the API shows it.</summary>
public sealed record ProbeResultView(string NodeId, DateTimeOffset At, bool Ok, double? LatencyMs, string? Error, DateTimeOffset? CertificateExpiresAt);

/// <summary>One point of a probe's chart for one Node: average latency and the share of failed checks in a bucket.</summary>
public sealed record ProbePoint(long Bucket, double? LatencyMs, double LossPercent, int Checks);

/// <summary>A probe's latest state on one Node.</summary>
public sealed record ProbeNodeState(string NodeId, DateTimeOffset At, bool Ok, double? LatencyMs, string? Error, DateTimeOffset? CertificateExpiresAt);

/// <summary>Reads probe results: raw checks, or the tier that fits a chart's range (raw, 1 m, 1 h).</summary>
public sealed class ProbeResultsQuery(IDbContextFactory<SentinelDb> dbFactory)
{
    public const int MaxRows = 10_000;

    public async Task<List<ProbeResultView>> RawAsync(string probeId, long fromMs, long toMs, string? nodeId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.ProbeResults.AsNoTracking().Where(r => r.ProbeId == probeId && r.At >= fromMs && r.At <= toMs);
        if (nodeId is not null) query = query.Where(r => r.NodeId == nodeId);
        var rows = await query.OrderBy(r => r.At).Take(MaxRows).ToListAsync(ct);
        return [.. rows.Select(r => new ProbeResultView(r.NodeId, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Ok, r.LatencyMs, r.Error,
            r.CertificateExpiresAt is { } c ? DateTimeOffset.FromUnixTimeMilliseconds(c) : null))];
    }

    /// <summary>The newest check of the probe on each Node that ran it in the last day.</summary>
    public async Task<List<ProbeNodeState>> LatestAsync(string probeId, long nowMs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var since = nowMs - 86_400_000;
        var latest = await db.ProbeResults.AsNoTracking()
            .Where(r => r.ProbeId == probeId && r.At >= since)
            .GroupBy(r => r.NodeId).Select(g => new { NodeId = g.Key, At = g.Max(r => r.At) }).ToListAsync(ct);
        var states = new List<ProbeNodeState>();
        foreach (var l in latest)
        {
            var r = await db.ProbeResults.AsNoTracking().FirstAsync(x => x.ProbeId == probeId && x.NodeId == l.NodeId && x.At == l.At, ct);
            states.Add(new ProbeNodeState(r.NodeId, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Ok, r.LatencyMs, r.Error,
                r.CertificateExpiresAt is { } c ? DateTimeOffset.FromUnixTimeMilliseconds(c) : null));
        }

        return states;
    }

    /// <summary>Chart points per Node between the two times: raw checks up to 6 hours, minutes up to 7 days, hours beyond.</summary>
    public async Task<Dictionary<string, List<ProbePoint>>> SeriesAsync(string probeId, long fromMs, long toMs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var span = toMs - fromMs;
        List<(string Node, ProbePoint Point)> points;
        if (span <= 6 * 3_600_000L)
        {
            var rows = await db.ProbeResults.AsNoTracking().Where(r => r.ProbeId == probeId && r.At >= fromMs && r.At <= toMs)
                .OrderBy(r => r.At).Take(MaxRows).ToListAsync(ct);
            points = [.. rows.Select(r => (r.NodeId, new ProbePoint(r.At, r.Ok ? r.LatencyMs : null, r.Ok ? 0 : 100, 1)))];
        }
        else if (span <= 7 * 86_400_000L)
        {
            var rows = await db.ProbeMinutes.AsNoTracking().Where(r => r.ProbeId == probeId && r.Bucket >= fromMs && r.Bucket <= toMs)
                .OrderBy(r => r.Bucket).Take(MaxRows * 2).ToListAsync(ct);
            points = [.. rows.Select(r => (r.NodeId, Point(r)))];
        }
        else
        {
            var rows = await db.ProbeHours.AsNoTracking().Where(r => r.ProbeId == probeId && r.Bucket >= fromMs && r.Bucket <= toMs)
                .OrderBy(r => r.Bucket).Take(MaxRows * 2).ToListAsync(ct);
            points = [.. rows.Select(r => (r.NodeId, Point(r)))];
        }

        return points.GroupBy(p => p.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(p => p.Point).ToList(), StringComparer.Ordinal);
    }

    private static ProbePoint Point(ProbeRollup r) =>
        new(r.Bucket, r.LatencyAvg, r.Checks == 0 ? 0 : Math.Round(100.0 * r.Failures / r.Checks, 1), r.Checks);
}
