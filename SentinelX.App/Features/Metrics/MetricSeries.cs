namespace SentinelX.App.Features.Metrics;

/// <summary>
/// A node's metrics over a time range, one point per step. <see cref="Tier"/> names the stored
/// resolution the points were computed from: "raw", "1m" or "1h".
/// </summary>
public sealed record MetricSeries(string NodeId, long From, long To, int StepSeconds, string Tier, IReadOnlyList<MetricPoint> Points)
{
    /// <summary>A series never holds more points than this; the step is widened to fit.</summary>
    public const int MaxPoints = 10_000;
}

/// <summary>
/// One step of a series. Gauges are averages over the step with their maximum beside them
/// (<c>…Max</c>); totals (<c>memTotalBytes</c>, <c>netRxTotal</c>, <c>uptimeSeconds</c>, …) are the
/// last value in the step. Rates (<c>netRxBps</c>) are averaged rates, i.e. bytes moved in the
/// step divided by its length when samples are evenly spaced.
/// </summary>
public sealed record MetricPoint
{
    /// <summary>Unix ms of the step start.</summary>
    public long Timestamp { get; init; }

    /// <summary>Samples that fell into this step.</summary>
    public long Samples { get; init; }

    public double CpuPercent { get; init; }
    public double CpuPercentMax { get; init; }
    public double Load1 { get; init; }
    public double Load1Max { get; init; }
    public double Load5 { get; init; }
    public double Load5Max { get; init; }
    public double Load15 { get; init; }
    public double Load15Max { get; init; }
    public double MemUsedBytes { get; init; }
    public double MemUsedBytesMax { get; init; }
    public long MemTotalBytes { get; init; }
    public double SwapUsedBytes { get; init; }
    public double SwapUsedBytesMax { get; init; }
    public long SwapTotalBytes { get; init; }
    public double DiskUsedBytes { get; init; }
    public double DiskUsedBytesMax { get; init; }
    public long DiskTotalBytes { get; init; }
    public double DiskReadBps { get; init; }
    public double DiskReadBpsMax { get; init; }
    public double DiskWriteBps { get; init; }
    public double DiskWriteBpsMax { get; init; }
    public double NetRxBps { get; init; }
    public double NetRxBpsMax { get; init; }
    public double NetTxBps { get; init; }
    public double NetTxBpsMax { get; init; }
    public long NetRxTotal { get; init; }
    public long NetTxTotal { get; init; }
    public double TcpConnections { get; init; }
    public double TcpConnectionsMax { get; init; }
    public double UdpConnections { get; init; }
    public double UdpConnectionsMax { get; init; }
    public double Processes { get; init; }
    public double ProcessesMax { get; init; }
    public long UptimeSeconds { get; init; }
}
