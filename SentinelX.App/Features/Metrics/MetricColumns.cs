using System.Data;
using SentinelX.Shared.Metrics;

namespace SentinelX.App.Features.Metrics;

/// <summary>
/// The scalar fields of <see cref="MetricSample"/> as stored: the one list the writer, the rollups
/// and the queries generate their SQL from, so a new field is added in one place (plus the entity
/// classes and a migration).
/// </summary>
internal static class MetricColumns
{
    /// <summary>One stored field. Gauges roll up to avg + max, totals to the last value.</summary>
    internal sealed record Column(string Name, bool IsTotal, DbType DbType, Func<MetricSample, object> Read);

    public static readonly IReadOnlyList<Column> All =
    [
        Gauge("cpu_percent", s => Finite(s.CpuPercent)),
        Gauge("load1", s => Finite(s.Load1)),
        Gauge("load5", s => Finite(s.Load5)),
        Gauge("load15", s => Finite(s.Load15)),
        Gauge("mem_used_bytes", s => s.MemUsedBytes, DbType.Int64),
        Total("mem_total_bytes", s => s.MemTotalBytes),
        Gauge("swap_used_bytes", s => s.SwapUsedBytes, DbType.Int64),
        Total("swap_total_bytes", s => s.SwapTotalBytes),
        Gauge("disk_used_bytes", s => s.DiskUsedBytes, DbType.Int64),
        Total("disk_total_bytes", s => s.DiskTotalBytes),
        Gauge("disk_read_bps", s => Finite(s.DiskReadBps)),
        Gauge("disk_write_bps", s => Finite(s.DiskWriteBps)),
        Gauge("net_rx_bps", s => Finite(s.NetRxBps)),
        Gauge("net_tx_bps", s => Finite(s.NetTxBps)),
        Total("net_rx_total", s => s.NetRxTotal),
        Total("net_tx_total", s => s.NetTxTotal),
        Gauge("tcp_connections", s => s.TcpConnections, DbType.Int32),
        Gauge("udp_connections", s => s.UdpConnections, DbType.Int32),
        Gauge("processes", s => s.Processes, DbType.Int32),
        Total("uptime_seconds", s => s.UptimeSeconds),
    ];

    public static readonly IReadOnlyList<Column> Gauges = [.. All.Where(c => !c.IsTotal)];
    public static readonly IReadOnlyList<Column> Totals = [.. All.Where(c => c.IsTotal)];

    private static Column Gauge(string name, Func<MetricSample, object> read, DbType type = DbType.Double) =>
        new(name, false, type, read);

    private static Column Total(string name, Func<MetricSample, object> read) => new(name, true, DbType.Int64, read);

    // SQLite stores NaN as NULL, which a NOT NULL column rejects: one bad float would otherwise
    // make the writer retry the same batch forever.
    private static double Finite(double value) => double.IsFinite(value) ? value : 0d;
}
