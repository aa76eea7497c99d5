using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;
using static SentinelX.App.Features.Metrics.RollupSql;

namespace SentinelX.App.Features.Metrics;

/// <summary>Reads stored metrics: time series from the fitting tier, the latest sample, the last stored seq.</summary>
public sealed class MetricsQuery(IDbContextFactory<SentinelDb> dbFactory, IOptions<RetentionOptions> retention, TimeProvider time)
{
    private static readonly string RawSeries = Series("samples", fromRaw: true);
    private static readonly string MinuteSeries = Series("rollups_1m", fromRaw: false);
    private static readonly string HourSeries = Series("rollups_1h", fromRaw: false);

    /// <summary>
    /// Points of one node in [<paramref name="fromMs"/>, <paramref name="toMs"/>), one per step
    /// (aligned to multiples of the step since the epoch). Tier: raw when the step is under a
    /// minute and raw data still covers <paramref name="fromMs"/>; else 1-minute rollups while they
    /// cover it; else 1-hour rollups. The step is rounded up to the tier's resolution and widened
    /// so there are at most <see cref="MetricSeries.MaxPoints"/> points. The newest part that is
    /// not rolled up yet is computed from the finer tiers, so charts reach up to now.
    /// </summary>
    public async Task<MetricSeries> GetSeriesAsync(string nodeId, long fromMs, long toMs, int stepSeconds, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var keep = retention.Value;
        var stepMs = Math.Max(1, (long)stepSeconds) * 1000;
        var (tier, resolution) =
            stepMs < MinuteMs && fromMs >= now - keep.RawRetentionMs ? ("raw", 1000L)
            : fromMs >= now - keep.MinuteRetentionMs ? ("1m", MinuteMs)
            : ("1h", HourMs);
        stepMs = Math.Max(stepMs, CeilDiv(Math.Max(0, toMs - fromMs), MetricSeries.MaxPoints));
        stepMs = CeilDiv(stepMs, resolution) * resolution;
        var from = RollupJob.FloorTo(fromMs, stepMs);
        if (toMs <= fromMs)
            return new MetricSeries(nodeId, fromMs, toMs, (int)(stepMs / 1000), tier, []);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var marks = await db.RollupWatermarks.AsNoTracking().ToDictionaryAsync(w => w.Name, w => w.WatermarkMs, ct);
        var minuteMark = marks.GetValueOrDefault(RollupWatermark.Minute);
        var hourMark = Math.Min(marks.GetValueOrDefault(RollupWatermark.Hour), minuteMark);

        // Sources in time order with disjoint ranges: rolled-up tiers up to their watermarks, then finer data.
        var sources = tier switch
        {
            "raw" => [(RawSeries, from, toMs)],
            "1m" => new List<(string Sql, long From, long To)> { (MinuteSeries, from, Math.Min(toMs, minuteMark)), (RawSeries, Math.Max(from, minuteMark), toMs) },
            _ => [(HourSeries, from, Math.Min(toMs, hourMark)), (MinuteSeries, Math.Max(from, hourMark), Math.Min(toMs, minuteMark)), (RawSeries, Math.Max(from, minuteMark), toMs)],
        };

        var buckets = new List<Bucket>();
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        foreach (var (sql, sourceFrom, sourceTo) in sources)
        {
            if (sourceFrom >= sourceTo)
                continue;
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            AddParameter(cmd, "@node_id", nodeId);
            AddParameter(cmd, "@from", sourceFrom);
            AddParameter(cmd, "@to", sourceTo);
            AddParameter(cmd, "@step", stepMs);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var b = reader.GetInt64(0);
                if (buckets.Count == 0 || buckets[^1].Start != b)
                    buckets.Add(new Bucket(b));
                var bucket = buckets[^1];
                bucket.Count += Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
                var col = 2;
                for (var i = 0; i < MetricColumns.Gauges.Count; i++)
                {
                    bucket.Sum[i] += Convert.ToDouble(reader.GetValue(col++), CultureInfo.InvariantCulture);
                    bucket.Max[i] = Math.Max(bucket.Max[i], Convert.ToDouble(reader.GetValue(col++), CultureInfo.InvariantCulture));
                }
                // Later sources hold later data: their totals are the newer "last" values.
                for (var i = 0; i < MetricColumns.Totals.Count; i++)
                    bucket.Last[i] = Convert.ToInt64(reader.GetValue(col++), CultureInfo.InvariantCulture);
            }
        }
        return new MetricSeries(nodeId, fromMs, toMs, (int)(stepMs / 1000), tier, [.. buckets.Select(b => b.ToPoint())]);
    }

    /// <summary>The highest seq stored for the node (0 when none): max seq in raw samples, else <c>nodes.last_seq</c>.</summary>
    public async Task<long> GetLastStoredSeqAsync(string nodeId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var raw = await db.Samples.Where(s => s.NodeId == nodeId).MaxAsync(s => (long?)s.Seq, ct);
        var recorded = await db.Nodes.Where(n => n.Id == nodeId).Select(n => (long?)n.LastSeq).FirstOrDefaultAsync(ct);
        return Math.Max(raw ?? 0, recorded ?? 0);
    }

    /// <summary>The node's newest stored raw sample (scalar fields only), or null.</summary>
    public async Task<MetricSample?> GetLatestAsync(string nodeId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Samples.AsNoTracking().Where(s => s.NodeId == nodeId).OrderByDescending(s => s.Seq).FirstOrDefaultAsync(ct);
        return row is null ? null : new MetricSample
        {
            Seq = row.Seq,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(row.Ts),
            CpuPercent = row.CpuPercent,
            Load1 = row.Load1,
            Load5 = row.Load5,
            Load15 = row.Load15,
            MemUsedBytes = row.MemUsedBytes,
            MemTotalBytes = row.MemTotalBytes,
            SwapUsedBytes = row.SwapUsedBytes,
            SwapTotalBytes = row.SwapTotalBytes,
            DiskUsedBytes = row.DiskUsedBytes,
            DiskTotalBytes = row.DiskTotalBytes,
            DiskReadBps = row.DiskReadBps,
            DiskWriteBps = row.DiskWriteBps,
            NetRxBps = row.NetRxBps,
            NetTxBps = row.NetTxBps,
            NetRxTotal = row.NetRxTotal,
            NetTxTotal = row.NetTxTotal,
            TcpConnections = row.TcpConnections,
            UdpConnections = row.UdpConnections,
            Processes = row.Processes,
            UptimeSeconds = row.UptimeSeconds,
        };
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static void AddParameter(System.Data.Common.DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    /// <summary>Partial aggregates of one step, merged across tiers.</summary>
    private sealed class Bucket(long start)
    {
        public long Start { get; } = start;
        public long Count { get; set; }
        public double[] Sum { get; } = new double[MetricColumns.Gauges.Count];
        public double[] Max { get; } = Enumerable.Repeat(double.MinValue, MetricColumns.Gauges.Count).ToArray();
        public long[] Last { get; } = new long[MetricColumns.Totals.Count];

        private double Avg(int i) => Count == 0 ? 0 : Sum[i] / Count;

        // Indexes follow MetricColumns.Gauges / MetricColumns.Totals order.
        public MetricPoint ToPoint() => new()
        {
            Timestamp = Start,
            Samples = Count,
            CpuPercent = Avg(0), CpuPercentMax = Max[0],
            Load1 = Avg(1), Load1Max = Max[1],
            Load5 = Avg(2), Load5Max = Max[2],
            Load15 = Avg(3), Load15Max = Max[3],
            MemUsedBytes = Avg(4), MemUsedBytesMax = Max[4],
            SwapUsedBytes = Avg(5), SwapUsedBytesMax = Max[5],
            DiskUsedBytes = Avg(6), DiskUsedBytesMax = Max[6],
            DiskReadBps = Avg(7), DiskReadBpsMax = Max[7],
            DiskWriteBps = Avg(8), DiskWriteBpsMax = Max[8],
            NetRxBps = Avg(9), NetRxBpsMax = Max[9],
            NetTxBps = Avg(10), NetTxBpsMax = Max[10],
            TcpConnections = Avg(11), TcpConnectionsMax = Max[11],
            UdpConnections = Avg(12), UdpConnectionsMax = Max[12],
            Processes = Avg(13), ProcessesMax = Max[13],
            MemTotalBytes = Last[0],
            SwapTotalBytes = Last[1],
            DiskTotalBytes = Last[2],
            NetRxTotal = Last[3],
            NetTxTotal = Last[4],
            UptimeSeconds = Last[5],
        };
    }
}
