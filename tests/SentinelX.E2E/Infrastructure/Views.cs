using SentinelX.Shared.Metrics;

namespace SentinelX.E2E.Infrastructure;

/// <summary>The REST shapes the tests read, as a client would declare them.</summary>
public sealed record NodeView(string Id, string Name, bool Online, DateTimeOffset? LastSeen, string Os, string Arch, MetricSample? Metrics);

public sealed record NodeDetailView(string Id, string Name, bool Online, string Os, string Arch, MetricSample? Metrics,
    string AgentVersion, IReadOnlyList<string> PublicIps, long? UptimeSeconds, SystemInfo? System);

public sealed record SummaryView(int Nodes, int Online, double CpuPercent, long MemUsedBytes, long MemTotalBytes,
    double NetRxBps, double NetTxBps, long NetRxTotal, long NetTxTotal);

public sealed record CapabilityState(string Name, bool Enabled, bool? AllowedByNode, bool Usable);

public sealed record CapabilitiesView(string NodeId, IReadOnlyList<CapabilityState> Capabilities);

public sealed record AuditEntryView(long Id, DateTimeOffset At, string Actor, string ActorKind, string? Address, string? NodeId,
    string Action, string Target, string Result, string Detail);
