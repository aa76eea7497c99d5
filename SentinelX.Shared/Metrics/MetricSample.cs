namespace SentinelX.Shared.Metrics;

/// <summary>
/// One numbered snapshot of a Node's metrics. The same shape travels over the socket and is served
/// by the REST API as a node's latest metrics; field names are part of the public contract.
/// </summary>
public sealed record MetricSample
{
    /// <summary>Per-node sequence number, strictly increasing, never reused; the Core stores each once.</summary>
    public required long Seq { get; init; }

    /// <summary>When the Node took the sample.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Busy share of all cores, 0–100.</summary>
    public double CpuPercent { get; init; }

    /// <summary>Busy share of each logical core, 0–100.</summary>
    public IReadOnlyList<double>? CpuPerCore { get; init; }

    public double Load1 { get; init; }
    public double Load5 { get; init; }
    public double Load15 { get; init; }

    /// <summary>Memory in use: total minus MemAvailable, the figure <c>free</c> shows as used.</summary>
    public long MemUsedBytes { get; init; }
    public long MemTotalBytes { get; init; }
    public long SwapUsedBytes { get; init; }
    public long SwapTotalBytes { get; init; }

    /// <summary>Sum over real (block-device backed) file systems, each device counted once.</summary>
    public long DiskUsedBytes { get; init; }
    public long DiskTotalBytes { get; init; }
    public double DiskReadBps { get; init; }
    public double DiskWriteBps { get; init; }

    /// <summary>Bytes per second over all interfaces except loopback.</summary>
    public double NetRxBps { get; init; }
    public double NetTxBps { get; init; }

    /// <summary>Interface byte counters (except loopback) as the kernel reports them since boot.</summary>
    public long NetRxTotal { get; init; }
    public long NetTxTotal { get; init; }

    /// <summary>TCP sockets in use (IPv4 + IPv6), from <c>/proc/net/sockstat*</c>.</summary>
    public int TcpConnections { get; init; }
    public int UdpConnections { get; init; }
    public int Processes { get; init; }
    public long UptimeSeconds { get; init; }

    public IReadOnlyList<MountUsage>? Mounts { get; init; }
    public IReadOnlyList<InterfaceTraffic>? Interfaces { get; init; }
    public IReadOnlyList<TemperatureReading>? Temperatures { get; init; }

    /// <summary>Service probe checks that finished since the previous sample (oldest first), absent when none did.</summary>
    public IReadOnlyList<Protocol.ProbeResult>? Probes { get; init; }
}

/// <summary>Usage and IO of one mounted file system.</summary>
public sealed record MountUsage
{
    public required string Mount { get; init; }
    public required string Device { get; init; }
    public required string FsType { get; init; }
    public long UsedBytes { get; init; }
    public long TotalBytes { get; init; }
}

/// <summary>Rates and totals of one network interface.</summary>
public sealed record InterfaceTraffic
{
    public required string Name { get; init; }
    public double RxBps { get; init; }
    public double TxBps { get; init; }
    public long RxTotal { get; init; }
    public long TxTotal { get; init; }
}

/// <summary>One temperature sensor in degrees Celsius.</summary>
public sealed record TemperatureReading
{
    public required string Sensor { get; init; }
    public double Celsius { get; init; }
}
