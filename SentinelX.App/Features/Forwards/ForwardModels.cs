namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Body of <c>POST /api/v1/forwards</c> and <c>PUT /api/v1/forwards/{id}</c>, and what the edit
/// dialog fills in. Absent fields take the defaults shown.
/// </summary>
public sealed record ForwardInput
{
    public string? Name { get; init; }

    /// <summary>The entry Node (where clients connect). With a chain, the first hop's node; may be omitted then.</summary>
    public string? NodeId { get; init; }

    public string Protocol { get; init; } = "tcp";
    public int ListenPort { get; init; }
    public string ListenAddress { get; init; } = "0.0.0.0";
    public IReadOnlyList<string> Targets { get; init; } = [];
    public string Balance { get; init; } = "roundrobin";
    public string Mode { get; init; } = "userspace";
    public double BandwidthMbps { get; init; }
    public int MaxConnections { get; init; }
    public int ProxyProtocol { get; init; }
    public int UdpIdleSeconds { get; init; } = 60;

    /// <summary>The hops from entry to exit; empty for a direct rule. The first hop is the entry Node.</summary>
    public IReadOnlyList<ForwardHopInput> Chain { get; init; } = [];

    /// <summary>Monthly quota on both directions together; 0 for none.</summary>
    public long QuotaBytes { get; init; }

    public string QuotaAction { get; init; } = "block";
    public double QuotaThrottleMbps { get; init; } = 1;

    /// <summary>Day of month (1–28, UTC) the quota and the monthly totals start again.</summary>
    public int ResetDay { get; init; } = 1;
}

/// <summary>One hop of a chain. Transport is how the previous hop reaches this one (ignored on the first hop).</summary>
public sealed record ForwardHopInput
{
    public string? NodeId { get; init; }

    /// <summary>Defaults to tls: mutual certificates from the Core, and nothing on the wire in clear.</summary>
    public string Transport { get; init; } = "tls";

    /// <summary>Address the previous hop dials; default: the address this Node connects to the Core from.</summary>
    public string? Host { get; init; }

    /// <summary>The hop listener's port; default: a free one the Core picks.</summary>
    public int? Port { get; init; }

    /// <summary>ws/wss request path; default "/".</summary>
    public string? Path { get; init; }

    /// <summary>ws/wss Host header (and SNI for wss); default: <see cref="Host"/>.</summary>
    public string? HostHeader { get; init; }
}

/// <summary>A rule as the API and UI show it: settings, live status and counters.</summary>
public sealed record ForwardView
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string NodeId { get; init; }
    public required string NodeName { get; init; }
    public required string Protocol { get; init; }
    public required string ListenAddress { get; init; }
    public required int ListenPort { get; init; }
    public required IReadOnlyList<string> Targets { get; init; }
    public required string Balance { get; init; }
    public required string Mode { get; init; }
    public double BandwidthMbps { get; init; }
    public int MaxConnections { get; init; }
    public int ProxyProtocol { get; init; }
    public int UdpIdleSeconds { get; init; }
    public required IReadOnlyList<ForwardHopView> Chain { get; init; }
    public long QuotaBytes { get; init; }
    public required string QuotaAction { get; init; }
    public double QuotaThrottleMbps { get; init; }
    public int ResetDay { get; init; }

    /// <summary>"active", "pending", "quota-blocked" or "error" (worst of all hops).</summary>
    public required string Status { get; init; }

    /// <summary>The exact error, naming the Node when a hop failed.</summary>
    public string? Error { get; init; }

    public required ForwardStatsView Stats { get; init; }

    /// <summary>Bytes per second over the last report interval.</summary>
    public double RateInBps { get; init; }

    public double RateOutBps { get; init; }

    /// <summary>Bytes in and out since the current month's reset day.</summary>
    public long MonthBytesIn { get; init; }

    public long MonthBytesOut { get; init; }
    public long QuotaUsedBytes { get; init; }
    public bool QuotaReached { get; init; }
    public IReadOnlyList<string> TargetsDown { get; init; } = [];

    /// <summary>Each Node's part of the rule, entry first.</summary>
    public required IReadOnlyList<ForwardPlacementView> Placements { get; init; }

    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}

public sealed record ForwardHopView(string NodeId, string NodeName, string Transport, string Host, int Port, string Path, string? HostHeader);

public sealed record ForwardStatsView(long BytesIn, long BytesOut, int ConnectionsActive, long ConnectionsTotal);

/// <summary>
/// One Node's part of a rule: "entry", "relay" or "exit" (a direct rule has one "entry"), with the
/// connections open through it and the bytes it carried (its own counters, since it first ran the part).
/// </summary>
public sealed record ForwardPlacementView(string NodeId, string NodeName, string Role, string Status, string? Error)
{
    public int ConnectionsActive { get; init; }
    public long BytesIn { get; init; }
    public long BytesOut { get; init; }
}

/// <summary>Traffic per bucket for a chart, oldest first.</summary>
public sealed record ForwardHistory(string RuleId, int BucketSeconds, IReadOnlyList<ForwardHistoryPoint> Points);

/// <summary>Bytes in one bucket starting at <see cref="Time"/> (unix ms).</summary>
public sealed record ForwardHistoryPoint(long Time, long BytesIn, long BytesOut);

/// <summary>Monthly totals of one rule, newest first, each month starting on the rule's reset day.</summary>
public sealed record ForwardMonth(long PeriodStart, long BytesIn, long BytesOut);
