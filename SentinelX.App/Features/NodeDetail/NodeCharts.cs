using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Metrics;
using SentinelX.Shared.Metrics;

namespace SentinelX.App.Features.NodeDetail;

/// <summary>One chart on the Node page: its DOM/JS id, title, unit (see charts.js) and series labels.</summary>
public sealed record ChartSpec(string Key, string Title, string Unit, IReadOnlyList<string> Series);

/// <summary>A time range the Node page offers, and the step that makes the query read the fitting tier.</summary>
public sealed record ChartRange(string Key, TimeSpan Length, int StepSeconds)
{
    public bool IsLive => Key == "live";
}

/// <summary>Which charts the Node page draws and how samples and stored series become their columns.</summary>
public static class NodeCharts
{
    public static readonly TimeSpan LiveWindow = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Steps are chosen for about 250–350 points: under a minute reads raw samples (kept 24 h by
    /// default), a minute or more reads 1-minute rollups while they cover the range (14 days), and
    /// anything older comes from 1-hour rollups.
    /// </summary>
    public static readonly IReadOnlyList<ChartRange> Ranges =
    [
        new("live", LiveWindow, 1),
        new("1h", TimeSpan.FromHours(1), 15),
        new("6h", TimeSpan.FromHours(6), 60),
        new("24h", TimeSpan.FromHours(24), 300),
        new("7d", TimeSpan.FromDays(7), 1800),
        new("30d", TimeSpan.FromDays(30), 3 * 3600),
    ];

    private static readonly (string Key, Func<MetricPoint, double>[] FromPoint, Func<MetricSample, double>[] FromSample)[] Columns =
    [
        ("cpu", [p => p.CpuPercent], [s => s.CpuPercent]),
        ("memory", [p => p.MemUsedBytes, p => p.SwapUsedBytes], [s => s.MemUsedBytes, s => s.SwapUsedBytes]),
        ("load", [p => p.Load1, p => p.Load5, p => p.Load15], [s => s.Load1, s => s.Load5, s => s.Load15]),
        ("disk", [p => p.DiskReadBps, p => p.DiskWriteBps], [s => s.DiskReadBps, s => s.DiskWriteBps]),
        ("network", [p => p.NetRxBps, p => p.NetTxBps], [s => s.NetRxBps, s => s.NetTxBps]),
        ("connections", [p => p.TcpConnections, p => p.UdpConnections], [s => s.TcpConnections, s => s.UdpConnections]),
    ];

    public static IReadOnlyList<ChartSpec> Specs(UiText T) =>
    [
        new("cpu", T["CPU"], "percent", [T["CPU"]]),
        new("memory", T["Memory and swap"], "bytes", [T["Memory used"], T["Swap used"]]),
        new("load", T["Load average"], "load", [T["1 min"], T["5 min"], T["15 min"]]),
        new("disk", T["Disk I/O"], "bps", [T["Read"], T["Write"]]),
        new("network", T["Network"], "bps", [T["Received"], T["Sent"]]),
        new("connections", T["Connections"], "count", [T["TCP"], T["UDP"]]),
    ];

    /// <summary>
    /// Columns per chart key: <c>[unix seconds[], series 1[], …]</c>. A gap of more than two and a
    /// half steps (the Node was offline) gets a null row, so the line breaks instead of bridging it.
    /// </summary>
    public static Dictionary<string, double?[][]> FromSeries(MetricSeries series)
    {
        var points = series.Points;
        var gapMs = Math.Max(1, series.StepSeconds) * 2500L;
        var rows = new List<(double Time, MetricPoint? Point)>(points.Count);
        for (var i = 0; i < points.Count; i++)
        {
            if (i > 0 && points[i].Timestamp - points[i - 1].Timestamp > gapMs)
                rows.Add(((points[i - 1].Timestamp + series.StepSeconds * 1000L) / 1000.0, null));
            rows.Add((points[i].Timestamp / 1000.0, points[i]));
        }

        var result = new Dictionary<string, double?[][]>(StringComparer.Ordinal);
        foreach (var (key, fromPoint, _) in Columns)
        {
            var columns = new double?[fromPoint.Length + 1][];
            columns[0] = rows.Select(r => (double?)r.Time).ToArray();
            for (var c = 0; c < fromPoint.Length; c++)
            {
                var read = fromPoint[c];
                columns[c + 1] = rows.Select(r => r.Point is null ? null : (double?)Math.Round(read(r.Point), 3)).ToArray();
            }
            result[key] = columns;
        }
        return result;
    }

    /// <summary>One row per chart key, <c>[unix seconds, value 1, …]</c>, for appending a live sample.</summary>
    public static Dictionary<string, double[]> Row(MetricSample sample)
    {
        var time = sample.Timestamp.ToUnixTimeMilliseconds() / 1000.0;
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (key, _, fromSample) in Columns)
        {
            var row = new double[fromSample.Length + 1];
            row[0] = time;
            for (var c = 0; c < fromSample.Length; c++) row[c + 1] = Math.Round(fromSample[c](sample), 3);
            result[key] = row;
        }
        return result;
    }
}
