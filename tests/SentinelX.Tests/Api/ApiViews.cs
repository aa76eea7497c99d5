namespace SentinelX.Tests.Api;

/// <summary>The REST shapes the API tests read, as a client would declare them.</summary>
public sealed record NodeView(string Id, string Name, bool Online);

public sealed record CapabilityState(string Name, bool Enabled, bool? AllowedByNode, bool Usable);

public sealed record CapabilitiesView(string NodeId, IReadOnlyList<CapabilityState> Capabilities);

public sealed record AuditEntryView(long Id, DateTimeOffset At, string Actor, string ActorKind, string? Address, string? NodeId,
    string Action, string Target, string Result, string Detail);
