using SentinelX.Shared.Metrics;

namespace SentinelX.Shared.Protocol;

/// <summary>Params for methods that take none.</summary>
public sealed record EmptyParams;

/// <summary>
/// Body of <c>POST /api/v1/node/enroll</c>, sent with <c>Authorization: Bearer &lt;enrollment key&gt;</c>.
/// The machine id lets the Core match a reinstalled Node to its existing record.
/// </summary>
public sealed record EnrollRequest
{
    public required string MachineId { get; init; }
    public string? Name { get; init; }
    public required string Hostname { get; init; }
    public required int ProtocolVersion { get; init; }
    public required string AgentVersion { get; init; }
}

/// <summary>
/// The Core's answer (202) when the machine id belongs to a Node it already knows: the key only
/// ever creates new Nodes, so joining that record waits for an administrator. The Node polls
/// <c>POST /api/v1/node/enroll/{RequestId}</c> with <c>Authorization: Bearer &lt;Ticket&gt;</c>
/// until it gets an <see cref="EnrollResponse"/> (approved), 403 (rejected) or 410 (expired).
/// </summary>
public sealed record EnrollPending
{
    public required string RequestId { get; init; }

    /// <summary>The one-time ticket that lets this Node (and only it) collect the approval; only in the first answer.</summary>
    public string? Ticket { get; init; }

    /// <summary>When the request expires unanswered.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>The Core's answer to a successful enrollment. The secret is shown once; the Core keeps only its hash.</summary>
public sealed record EnrollResponse
{
    public required string NodeId { get; init; }
    public required string Secret { get; init; }

    /// <summary>Sequence numbers below this are already taken by this node id (a reinstall restarts above them).</summary>
    public required long NextSeq { get; init; }
}

/// <summary>Params of <see cref="Methods.Hello"/>.</summary>
public sealed record HelloParams
{
    public required int ProtocolVersion { get; init; }
    public required string AgentVersion { get; init; }
    public string? Name { get; init; }
    public required int SampleIntervalMs { get; init; }
    public required SystemInfo System { get; init; }

    /// <summary>
    /// The <see cref="Capabilities"/> the Node's own config allows. Absent (an older Node) means none:
    /// the Core never assumes a lock is open.
    /// </summary>
    public IReadOnlyList<string>? Allow { get; init; }
}

/// <summary>Result of <see cref="Methods.Hello"/>.</summary>
public sealed record HelloResult
{
    public required int ProtocolVersion { get; init; }
    public required string CoreVersion { get; init; }
    public required string NodeId { get; init; }

    /// <summary>Highest sample sequence number the Core has stored for this node (0 when none).</summary>
    public required long LastStoredSeq { get; init; }
}

/// <summary>Params of <see cref="Methods.Heartbeat"/>.</summary>
public sealed record HeartbeatParams
{
    /// <summary>The Node's clock, unix milliseconds.</summary>
    public required long Time { get; init; }
}

/// <summary>Result of <see cref="Methods.Heartbeat"/>.</summary>
public sealed record HeartbeatResult
{
    /// <summary>The Core's clock, unix milliseconds.</summary>
    public required long Time { get; init; }
}

/// <summary>Params of <see cref="Methods.Samples"/>: consecutive samples in ascending <see cref="MetricSample.Seq"/>.</summary>
public sealed record SampleBatch
{
    public required IReadOnlyList<MetricSample> Samples { get; init; }
}

/// <summary>Params of <see cref="Methods.SamplesAck"/>.</summary>
public sealed record SampleAck
{
    /// <summary>Every sample with a sequence number up to and including this one is stored.</summary>
    public required long Seq { get; init; }
}
