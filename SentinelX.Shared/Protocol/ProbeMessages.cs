namespace SentinelX.Shared.Protocol;

public static partial class Methods
{
    /// <summary>
    /// Core → Node request: the complete set of service probes this Node runs (it replaces the
    /// previous set). <see cref="ProbeSyncParams"/> → <see cref="ProbeSyncResult"/>. Results travel
    /// on the samples (<see cref="Metrics.MetricSample.Probes"/>), not in a method of their own.
    /// </summary>
    public const string ProbeSync = "probe.sync";
}

/// <summary>What a probe checks.</summary>
public static class ProbeTypes
{
    /// <summary>One ICMP echo request to a host; latency is the round trip.</summary>
    public const string Icmp = "icmp";

    /// <summary>A TCP connect to <c>host:port</c>; latency is the connect time.</summary>
    public const string Tcp = "tcp";

    /// <summary>An HTTP(S) GET: status, optional keyword, certificate expiry; latency is the time to the response headers.</summary>
    public const string Http = "http";

    /// <summary>An A or AAAA query over UDP; latency is the time to the answer.</summary>
    public const string Dns = "dns";

    public static bool IsKnown(string? value) => value is Icmp or Tcp or Http or Dns;
}

/// <summary>The record types a DNS probe may ask for.</summary>
public static class DnsRecordTypes
{
    public const string A = "A";
    public const string Aaaa = "AAAA";

    public static bool IsKnown(string? value) => value is A or Aaaa;
}

/// <summary>Limits both sides check on probes and their results.</summary>
public static class ProbeLimits
{
    public const int MaxProbes = 200;
    public const int MinIntervalSeconds = 5;
    public const int MaxIntervalSeconds = 86_400;
    public const int MinTimeoutMs = 100;
    public const int MaxTimeoutMs = 30_000;
    public const int DefaultTimeoutMs = 5_000;
    public const int MaxIdLength = 64;

    /// <summary>A URL may be this long; host and host:port targets are bounded by DNS (253) anyway.</summary>
    public const int MaxTargetLength = 2048;

    public const int MaxKeywordLength = 256;

    /// <summary>An HTTP probe's keyword must appear within this much of the body.</summary>
    public const int KeywordScanBytes = 1024 * 1024;

    /// <summary>Results one sample may carry; a Node with more buffered sends them on the next samples.</summary>
    public const int MaxResultsPerSample = 500;

    public const int MaxErrorLength = 300;

    /// <summary>Ten minutes: far above any timeout, so only a broken or hostile Node sends more.</summary>
    public const double MaxLatencyMs = 600_000;
}

/// <summary>
/// One probe as the Core defines it. <see cref="Target"/> depends on <see cref="Type"/>: a host
/// (name or IP) for icmp, <c>host:port</c> (<c>[v6]:port</c>) for tcp, an http(s) URL for http,
/// the name to resolve for dns. Fields that belong to another type must be absent.
/// </summary>
public sealed record ProbeDefinition
{
    /// <summary>The Core's id of the probe, echoed in every result: 1–64 of <c>A-Z a-z 0-9 _ . : -</c>.</summary>
    public required string Id { get; init; }

    /// <summary>One of <see cref="ProbeTypes"/>.</summary>
    public required string Type { get; init; }

    public required string Target { get; init; }

    public required int IntervalSeconds { get; init; }

    /// <summary>How long one check may take; <see cref="ProbeLimits.DefaultTimeoutMs"/> when absent.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary>http only: text that must appear (case-sensitive) in the first 1 MiB of the body.</summary>
    public string? Keyword { get; init; }

    /// <summary>http only: the one status code that counts as up; absent means any of 200–399 (redirects are not followed).</summary>
    public int? ExpectStatus { get; init; }

    /// <summary>dns only: the server to ask, an IP with an optional port (<c>9.9.9.9</c>, <c>[2620:fe::fe]:53</c>); absent means the first nameserver in the Node's /etc/resolv.conf.</summary>
    public string? DnsServer { get; init; }

    /// <summary>dns only: one of <see cref="DnsRecordTypes"/>; absent means A.</summary>
    public string? RecordType { get; init; }
}

/// <summary>Params of <see cref="Methods.ProbeSync"/>: every probe the Node should run; an empty list stops them all.</summary>
public sealed record ProbeSyncParams
{
    public required IReadOnlyList<ProbeDefinition> Probes { get; init; }
}

/// <summary>Result of <see cref="Methods.ProbeSync"/>.</summary>
public sealed record ProbeSyncResult
{
    /// <summary>How many probes the Node now runs (0 when probing is off).</summary>
    public required int Running { get; init; }

    /// <summary>False when the Node's own config turned probing off (<c>probes = false</c>): it runs nothing whatever it is sent.</summary>
    public required bool Enabled { get; init; }
}

/// <summary>The outcome of one check, carried on the next sample the Node stores.</summary>
public sealed record ProbeResult
{
    public required string ProbeId { get; init; }

    /// <summary>When the check started.</summary>
    public required DateTimeOffset At { get; init; }

    public required bool Ok { get; init; }

    /// <summary>Round trip (icmp), connect time (tcp), time to response headers (http), time to the answer (dns); absent when nothing answered.</summary>
    public double? LatencyMs { get; init; }

    /// <summary>Why the check failed, for people: "connection refused", "HTTP 500 (expected 200–399)", "NXDOMAIN".</summary>
    public string? Error { get; init; }

    /// <summary>https only: the server certificate's NotAfter, also when the certificate is not trusted.</summary>
    public DateTimeOffset? CertificateExpiresAt { get; init; }
}
