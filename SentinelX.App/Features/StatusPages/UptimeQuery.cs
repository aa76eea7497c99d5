using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using static SentinelX.App.Features.StatusPages.UptimeHours;

namespace SentinelX.App.Features.StatusPages;

/// <summary>A Node whose uptime is wanted: when it was created, and its sample interval when it said so in its hello.</summary>
public readonly record struct NodeSpan(string Id, long CreatedAt, int? SampleIntervalMs);

/// <summary>The newest check of a probe by each Node that ran it lately: true when every one passed.</summary>
public readonly record struct ProbeLast(string ProbeId, bool Ok);

/// <summary>
/// Reads uptime from the stored metrics and probe results, each stretch of time from one tier only,
/// so nothing is counted twice.
/// </summary>
/// <remarks>
/// <para>A Node is up in a minute that holds at least one of its samples. Minute rollups and raw
/// samples say that exactly; they are read for the last <see cref="MinuteTierHours"/> hours. Older
/// hours are read from hour rollups, which keep a sample count:
/// there the up minutes are the count divided by the Node's samples per minute (from the interval its
/// hello gave, else the average of its up minutes still held as minute rollups, else one a second),
/// rounded up and at most 60.</para>
/// <para>A probe's uptime is its passed checks over all its checks, by every Node that ran it.</para>
/// </remarks>
public sealed class UptimeQuery(IDbContextFactory<SentinelDb> dbFactory)
{
    /// <summary>How long after now samples are still expected to arrive; the minute they fall in is not counted yet.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>How far back minute rollups are read; older hours come from hour rollups.</summary>
    public const int MinuteTierHours = 48;

    /// <summary>The end of the counted time at <paramref name="now"/>: a minute boundary <see cref="Grace"/> behind.</summary>
    public static long EndAt(DateTimeOffset now) => Floor(now.ToUnixTimeMilliseconds() - (long)Grace.TotalMilliseconds, MinuteMs);

    /// <summary>Where the windows and bars of <see cref="UptimeHours.Summarize"/> start, for <paramref name="endMs"/>.</summary>
    public static long StartFor(long endMs) => Floor(endMs - 1, HourMs) - (DaysShown * 24 - 1) * HourMs;

    /// <summary>Up minutes per hour start of each Node in [<see cref="StartFor"/>, <paramref name="endMs"/>).</summary>
    public async Task<Dictionary<string, Dictionary<long, int>>> NodeUpMinutesAsync(IReadOnlyList<NodeSpan> nodes, long endMs, CancellationToken ct)
    {
        var result = nodes.ToDictionary(n => n.Id, _ => new Dictionary<long, int>(), StringComparer.Ordinal);
        if (nodes.Count == 0) return result;
        var from = StartFor(endMs);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();

        // Hour rollups exist below the hour watermark; minute rollups from their oldest kept hour up
        // to the minute watermark; raw samples above it (see RollupJob and RetentionJob). Minutes are
        // read for the last two days only, which keeps the 24 h figure exact and the read small.
        var minuteMark = await ScalarAsync(connection, $"SELECT watermark_ms FROM rollup_state WHERE name = '{RollupWatermark.Minute}'", ct) ?? 0;
        var hourMark = Math.Min(await ScalarAsync(connection, $"SELECT watermark_ms FROM rollup_state WHERE name = '{RollupWatermark.Hour}'", ct) ?? 0, minuteMark);
        var oldestMinute = await ScalarAsync(connection, "SELECT MIN(bucket) FROM rollups_1m", ct);
        var cut = Math.Min(Math.Max(oldestMinute is { } first ? Ceiling(first, HourMs) : long.MaxValue, Floor(endMs, HourMs) - MinuteTierHours * HourMs), hourMark);
        var (hoursTo, minutesTo) = (Math.Clamp(cut, from, endMs), Math.Clamp(minuteMark, from, endMs));

        var ids = nodes.Select(n => n.Id).ToList();
        var perMinute = new Dictionary<string, (long Samples, long Minutes)>(StringComparer.Ordinal);
        if (hoursTo < minutesTo)
        {
            await ReadAsync(connection,
                $"SELECT node_id, bucket - bucket % {HourMs}, COUNT(*), SUM(sample_count) FROM rollups_1m " +
                $"WHERE node_id IN ({InList(ids)}) AND bucket >= @from AND bucket < @to AND sample_count > 0 GROUP BY 1, 2",
                ids, hoursTo, minutesTo, r =>
                {
                    var (minutes, samples) = (Long(r, 2), Long(r, 3));
                    Add(result[r.GetString(0)], Long(r, 1), (int)minutes);
                    var (s, m) = perMinute.GetValueOrDefault(r.GetString(0));
                    perMinute[r.GetString(0)] = (s + samples, m + minutes);
                }, ct);
        }

        var rawFrom = Math.Max(minutesTo, hoursTo);
        if (rawFrom < endMs)
        {
            await ReadAsync(connection,
                $"SELECT node_id, m - m % {HourMs}, COUNT(*) FROM (SELECT DISTINCT node_id, ts - ts % {MinuteMs} AS m FROM samples " +
                $"WHERE node_id IN ({InList(ids)}) AND ts >= @from AND ts < @to) d GROUP BY 1, 2",
                ids, rawFrom, endMs, r => Add(result[r.GetString(0)], Long(r, 1), (int)Long(r, 2)), ct);
        }

        if (from < hoursTo)
        {
            var byId = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
            await ReadAsync(connection,
                $"SELECT node_id, bucket, sample_count FROM rollups_1h WHERE node_id IN ({InList(ids)}) AND bucket >= @from AND bucket < @to",
                ids, from, hoursTo, r =>
                {
                    var id = r.GetString(0);
                    var samplesPerMinute = SamplesPerMinute(byId[id].SampleIntervalMs, perMinute.GetValueOrDefault(id));
                    Add(result[id], Long(r, 1), (int)Math.Min(60, Math.Ceiling(Long(r, 2) / samplesPerMinute - 1e-9)));
                }, ct);
        }

        return result;
    }

    /// <summary>Passed and all checks per hour start of each probe in [<see cref="StartFor"/>, <paramref name="endMs"/>).</summary>
    public async Task<Dictionary<string, UptimeHours>> ProbeHoursAsync(IReadOnlyList<string> probeIds, long endMs, CancellationToken ct)
    {
        var result = probeIds.ToDictionary(id => id, _ => new UptimeHours(), StringComparer.Ordinal);
        if (probeIds.Count == 0) return result;
        var from = StartFor(endMs);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();

        // Each tier is complete up to its newest bucket: hours below the newest hour rollup's end,
        // minutes from there to the newest minute rollup's end, raw results after that.
        var hourEnd = await ScalarAsync(connection, "SELECT MAX(bucket) FROM probe_results_1h", ct) + HourMs;
        var minuteEnd = await ScalarAsync(connection, "SELECT MAX(bucket) FROM probe_results_1m", ct) + MinuteMs;
        var hoursTo = Math.Clamp(hourEnd ?? from, from, endMs);
        var minutesTo = Math.Clamp(Math.Max(minuteEnd ?? hoursTo, hoursTo), from, endMs);

        void AddChecks(DbDataReader r)
        {
            var (checks, failures) = (Long(r, 2), Long(r, 3));
            result[r.GetString(0)].Add(Long(r, 1), checks - failures, checks);
        }

        var list = InList(probeIds);
        if (from < hoursTo)
        {
            await ReadAsync(connection,
                $"SELECT probe_id, bucket, SUM(checks), SUM(failures) FROM probe_results_1h WHERE probe_id IN ({list}) AND bucket >= @from AND bucket < @to GROUP BY 1, 2",
                probeIds, from, hoursTo, AddChecks, ct);
        }

        if (hoursTo < minutesTo)
        {
            await ReadAsync(connection,
                $"SELECT probe_id, bucket - bucket % {HourMs}, SUM(checks), SUM(failures) FROM probe_results_1m " +
                $"WHERE probe_id IN ({list}) AND bucket >= @from AND bucket < @to GROUP BY 1, 2",
                probeIds, hoursTo, minutesTo, AddChecks, ct);
        }

        if (minutesTo < endMs)
        {
            await ReadAsync(connection,
                $"SELECT probe_id, at - at % {HourMs}, COUNT(*), SUM(CASE WHEN ok THEN 0 ELSE 1 END) FROM probe_results " +
                $"WHERE probe_id IN ({list}) AND at >= @from AND at < @to GROUP BY 1, 2",
                probeIds, minutesTo, endMs, AddChecks, ct);
        }

        return result;
    }

    /// <summary>For each probe with a check since <paramref name="sinceMs"/>: whether the newest check of every Node that ran it passed.</summary>
    public async Task<Dictionary<string, bool>> ProbeStatesAsync(IReadOnlyList<string> probeIds, long sinceMs, CancellationToken ct)
    {
        var result = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (probeIds.Count == 0) return result;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await ReadAsync(db.Database.GetDbConnection(),
            "SELECT r.probe_id, r.ok FROM probe_results r JOIN (" +
            $"SELECT probe_id, node_id, MAX(at) AS at FROM probe_results WHERE probe_id IN ({InList(probeIds)}) AND at >= @from AND at < @to GROUP BY probe_id, node_id) l " +
            "ON r.probe_id = l.probe_id AND r.node_id = l.node_id AND r.at = l.at",
            probeIds, sinceMs, long.MaxValue, r =>
            {
                var ok = Convert.ToBoolean(r.GetValue(1), CultureInfo.InvariantCulture);
                result[r.GetString(0)] = result.GetValueOrDefault(r.GetString(0), true) && ok;
            }, ct);
        return result;
    }

    /// <summary>
    /// Samples a Node takes in a minute: from its hello's interval; else what its minute rollups
    /// held per up minute, once there is an hour of them; else one a second, the Node's default.
    /// </summary>
    internal static double SamplesPerMinute(int? intervalMs, (long Samples, long Minutes) held) =>
        intervalMs is > 0 and var ms ? Math.Max(1, MinuteMs / (double)ms)
        : held.Minutes >= 60 ? Math.Max(1, held.Samples / (double)held.Minutes)
        : 60;

    private static void Add(Dictionary<long, int> hours, long hour, int minutes) => hours[hour] = hours.GetValueOrDefault(hour) + minutes;

    private static long Long(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);

    private static long Ceiling(long ms, long width) => Floor(ms + width - 1, width);

    private static string InList(IReadOnlyList<string> ids) => string.Join(", ", ids.Select((_, i) => "@id" + i.ToString(CultureInfo.InvariantCulture)));

    private static async Task ReadAsync(DbConnection connection, string sql, IReadOnlyList<string> ids, long from, long to, Action<DbDataReader> row, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < ids.Count; i++) AddParameter(cmd, "@id" + i.ToString(CultureInfo.InvariantCulture), ids[i]);
        AddParameter(cmd, "@from", from);
        AddParameter(cmd, "@to", to);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) row(reader);
    }

    private static async Task<long?> ScalarAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(ct) is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
    }

    private static void AddParameter(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
