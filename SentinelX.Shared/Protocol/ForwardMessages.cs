namespace SentinelX.Shared.Protocol;

/// <summary>What a forward listens for: <c>tcp</c>, <c>udp</c> or both on the same port.</summary>
public static class ForwardProtocols
{
    public const string Tcp = "tcp";
    public const string Udp = "udp";
    public const string TcpUdp = "tcp+udp";

    public static bool IsKnown(string? value) => value is Tcp or Udp or TcpUdp;
    public static bool HasTcp(string value) => value is Tcp or TcpUdp;
    public static bool HasUdp(string value) => value is Udp or TcpUdp;
}

/// <summary>How a forward picks one of several targets.</summary>
public static class ForwardBalance
{
    /// <summary>Each new connection (or UDP session) goes to the next healthy target in turn.</summary>
    public const string RoundRobin = "roundrobin";

    /// <summary>Always the first healthy target in the listed order.</summary>
    public const string Failover = "failover";

    public static bool IsKnown(string? value) => value is RoundRobin or Failover;
}

/// <summary>Where the bytes of a forward are moved.</summary>
public static class ForwardModes
{
    /// <summary>The Node accepts and copies (splice zero-copy when no bandwidth limit is set).</summary>
    public const string Userspace = "userspace";

    /// <summary>nftables (or iptables) DNAT and masquerade; the Node only installs rules and reads counters.</summary>
    public const string Kernel = "kernel";

    public static bool IsKnown(string? value) => value is Userspace or Kernel;
}

/// <summary>How one hop of a relay chain carries connections to the next.</summary>
public static class HopTransports
{
    /// <summary>Plain TCP; the hop preamble's secret keeps strangers out.</summary>
    public const string Tcp = "tcp";

    /// <summary>TLS 1.3, both sides presenting the certificate the Core issued them.</summary>
    public const string Tls = "tls";

    /// <summary>WebSocket over plain HTTP, with a chosen path and Host header (passes reverse proxies).</summary>
    public const string Ws = "ws";

    /// <summary>WebSocket over TLS (passes CDNs).</summary>
    public const string Wss = "wss";

    public static bool IsKnown(string? value) => value is Tcp or Tls or Ws or Wss;
    public static bool UsesTls(string value) => value is Tls or Wss;
    public static bool UsesWebSocket(string value) => value is Ws or Wss;
}

/// <summary>What happens when a rule's monthly quota is used up.</summary>
public static class QuotaActions
{
    /// <summary>New connections are refused and open ones closed until the reset day.</summary>
    public const string Block = "block";

    /// <summary>The rule keeps working at <see cref="ForwardQuota.ThrottleMbps"/> until the reset day.</summary>
    public const string Throttle = "throttle";

    public static bool IsKnown(string? value) => value is Block or Throttle;
}

/// <summary>
/// Phrases in placement errors that mean "the server's owner does not allow this": the Node, not
/// the Core, decides which targets and (kernel mode) which ports a forward may use. The Core answers
/// them as it answers a port another process holds: the rule is refused and not kept.
/// </summary>
public static class ForwardRefusals
{
    /// <summary>In the error of a target the Node's <c>forwardTargets</c> policy refuses.</summary>
    public const string TargetPolicy = "is refused by this Node's forwardTargets policy";

    /// <summary>In the error of a kernel-mode port a running service on the Node holds.</summary>
    public const string HeldPort = "is held by a running service on this Node";

    /// <summary>In the error of a kernel-mode port below 1024 the Node's owner did not allow (the line of node.toml that allows it).</summary>
    public const string PrivilegedPort = "forwardPrivilegedPorts = true";

    /// <summary>Legacy: the same refusal from a Node that still read node.json.</summary>
    public const string PrivilegedPortJson = "\"forwardPrivilegedPorts\": true";

    /// <summary>True for a placement error by which the Node refuses what its owner does not allow.</summary>
    public static bool IsOwnerRefusal(string error) =>
        error.Contains(TargetPolicy, StringComparison.Ordinal) || error.Contains(HeldPort, StringComparison.Ordinal)
        || error.Contains(PrivilegedPort, StringComparison.Ordinal) || error.Contains(PrivilegedPortJson, StringComparison.Ordinal);
}

/// <summary>A placement's state as the Node reports it.</summary>
public static class ForwardStatuses
{
    /// <summary>Listening (or kernel rules installed) and forwarding.</summary>
    public const string Active = "active";

    /// <summary>Not applied: the error says exactly why (e.g. "port 10080 already in use").</summary>
    public const string Error = "error";

    /// <summary>The monthly quota is used up and the action is block.</summary>
    public const string QuotaBlocked = "quota-blocked";

    /// <summary>Core side only: not yet confirmed by the Node (offline, or the push is in flight).</summary>
    public const string Pending = "pending";
}

/// <summary>Limits both sides check on forwards.</summary>
public static class ForwardLimits
{
    public const int MaxTargets = 16;
    public const int MaxHops = 8;
    public const int MaxPlacementsPerNode = 1000;
    public const int MaxNameLength = 100;
    public const int DefaultUdpIdleSeconds = 60;

    /// <summary>How often a Node sends <see cref="Methods.ForwardStats"/>.</summary>
    public static readonly TimeSpan StatsInterval = TimeSpan.FromSeconds(3);

    /// <summary>How often targets of a rule with several targets get a TCP health check.</summary>
    public static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(3);

    /// <summary>How long a resolved DNS name is reused before it is looked up again.</summary>
    public static readonly TimeSpan DnsTtl = TimeSpan.FromSeconds(30);
}

/// <summary>
/// One rule as one Node runs it. A rule without a chain is a single placement on its Node; a rule
/// with a chain becomes one placement per hop: the entry listens on <see cref="Listen"/> and dials
/// <see cref="Next"/>, relays listen on <see cref="HopIn"/> and dial <see cref="Next"/>, and the last
/// hop listens on <see cref="HopIn"/> and connects to <see cref="Targets"/>. Exactly one of
/// Listen/HopIn is set, and exactly one of Next/Targets.
/// </summary>
public sealed record ForwardPlacement
{
    public required string RuleId { get; init; }
    public required string Name { get; init; }

    /// <summary>One of <see cref="ForwardProtocols"/>; the client-facing protocol of the rule, carried unchanged through hops.</summary>
    public required string Protocol { get; init; }

    /// <summary>One of <see cref="ForwardModes"/>. Kernel placements never have a chain.</summary>
    public string Mode { get; init; } = ForwardModes.Userspace;

    /// <summary>Set on the entry: where clients connect.</summary>
    public ForwardListen? Listen { get; init; }

    /// <summary>Set on every later hop: where the previous hop connects.</summary>
    public HopListen? HopIn { get; init; }

    /// <summary>Set on every hop but the last: where to carry connections.</summary>
    public HopDial? Next { get; init; }

    /// <summary>Set on the last hop: <c>host:port</c> (or <c>[v6]:port</c>); host may be a DNS name.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>One of <see cref="ForwardBalance"/>.</summary>
    public string Balance { get; init; } = ForwardBalance.RoundRobin;

    /// <summary>Entry only: per direction, shared by all connections of the rule; 0 = unlimited.</summary>
    public double BandwidthMbps { get; init; }

    /// <summary>Entry only: concurrent TCP connections plus UDP sessions; 0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary>Last hop only: 0 none, 1 or 2 = PROXY protocol version sent to the target.</summary>
    public int ProxyProtocol { get; init; }

    public int UdpIdleSeconds { get; init; } = ForwardLimits.DefaultUdpIdleSeconds;

    /// <summary>Entry only: the monthly quota, or null for none.</summary>
    public ForwardQuota? Quota { get; init; }
}

/// <summary>The client-facing listener of an entry placement.</summary>
public sealed record ForwardListen
{
    public string Address { get; init; } = "0.0.0.0";
    public required int Port { get; init; }
}

/// <summary>A hop listener: only the previous hop can use it.</summary>
public sealed record HopListen
{
    /// <summary>One of <see cref="HopTransports"/>.</summary>
    public required string Transport { get; init; }

    public string Address { get; init; } = "0.0.0.0";
    public required int Port { get; init; }

    /// <summary>ws/wss: the request path that is accepted (anything else gets 404).</summary>
    public string Path { get; init; } = "/";

    /// <summary>32 random bytes (base64) the previous hop must present in its preamble.</summary>
    public required byte[] Secret { get; init; }

    /// <summary>tls: the node id the previous hop's certificate must name.</summary>
    public required string PeerNodeId { get; init; }
}

/// <summary>How to reach the next hop.</summary>
public sealed record HopDial
{
    /// <summary>One of <see cref="HopTransports"/>.</summary>
    public required string Transport { get; init; }

    /// <summary>Address to connect to (IP or DNS name; with a CDN, the CDN's name).</summary>
    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>ws/wss: the request path.</summary>
    public string Path { get; init; } = "/";

    /// <summary>ws/wss: the Host header (and TLS SNI for wss); null means <see cref="Host"/>.</summary>
    public string? HostHeader { get; init; }

    /// <summary>32 random bytes (base64) the hop listener expects in the preamble.</summary>
    public required byte[] Secret { get; init; }

    /// <summary>tls (and wss without a CDN): the node id the next hop's certificate must name.</summary>
    public required string PeerNodeId { get; init; }
}

/// <summary>A monthly traffic quota on both directions together.</summary>
public sealed record ForwardQuota
{
    public required long Bytes { get; init; }

    /// <summary>One of <see cref="QuotaActions"/>.</summary>
    public string Action { get; init; } = QuotaActions.Block;

    /// <summary>With <see cref="QuotaActions.Throttle"/>: the bandwidth once the quota is used up.</summary>
    public double ThrottleMbps { get; init; } = 1;

    /// <summary>Day of the month (1–28, UTC) the used amount starts again from zero.</summary>
    public int ResetDay { get; init; } = 1;
}

/// <summary>
/// The certificate a Node uses on tls/wss hops, issued by the Core's forwarding CA, with the node id
/// as its subject common name. Hops trust only that CA and check the node id they expect.
/// </summary>
public sealed record ForwardCredentials
{
    public required string CaCertificatePem { get; init; }
    public required string CertificatePem { get; init; }
    public required string PrivateKeyPem { get; init; }
}

/// <summary>
/// Params of <see cref="Methods.ForwardSync"/>: the complete set of placements this Node runs. Anything
/// not listed is stopped and removed; unchanged placements keep their open connections.
/// </summary>
public sealed record ForwardSyncParams
{
    public required IReadOnlyList<ForwardPlacement> Placements { get; init; }

    /// <summary>Null when no placement of this Node uses tls or wss.</summary>
    public ForwardCredentials? Credentials { get; init; }
}

/// <summary>Result of <see cref="Methods.ForwardSync"/>: each placement's state right after applying.</summary>
public sealed record ForwardSyncResult
{
    public required IReadOnlyList<ForwardPlacementStats> Placements { get; init; }
}

/// <summary>One placement's state and counters. Counters are totals since the placement first ran on this Node and survive restarts.</summary>
public sealed record ForwardPlacementStats
{
    public required string RuleId { get; init; }

    /// <summary>One of <see cref="ForwardStatuses"/> (never pending).</summary>
    public required string Status { get; init; }

    /// <summary>With <see cref="ForwardStatuses.Error"/>: the exact reason, e.g. "port 10080 already in use".</summary>
    public string? Error { get; init; }

    /// <summary>Client → target bytes.</summary>
    public long BytesIn { get; init; }

    /// <summary>Target → client bytes.</summary>
    public long BytesOut { get; init; }

    public int ConnectionsActive { get; init; }
    public long ConnectionsTotal { get; init; }

    /// <summary>Bytes (both directions) counted against the quota in the current quota period.</summary>
    public long QuotaUsedBytes { get; init; }

    /// <summary>True once the quota is used up for this period (blocked or throttled).</summary>
    public bool QuotaReached { get; init; }

    /// <summary>Target addresses the last health check found down.</summary>
    public IReadOnlyList<string>? TargetsDown { get; init; }
}

/// <summary>Params of <see cref="Methods.ForwardStats"/>.</summary>
public sealed record ForwardStatsReport
{
    /// <summary>The Node's clock, unix milliseconds.</summary>
    public required long Time { get; init; }

    public required IReadOnlyList<ForwardPlacementStats> Placements { get; init; }
}

public static partial class Methods
{
    /// <summary>
    /// Core → Node request, after every hello and after every change to the Node's rules.
    /// <see cref="ForwardSyncParams"/> → <see cref="ForwardSyncResult"/>.
    /// </summary>
    public const string ForwardSync = "forward.sync";

    /// <summary>Node → Core notification every <see cref="ForwardLimits.StatsInterval"/> while any placement exists. <see cref="ForwardStatsReport"/>.</summary>
    public const string ForwardStats = "forward.stats";
}
