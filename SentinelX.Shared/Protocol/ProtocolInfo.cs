namespace SentinelX.Shared.Protocol;

/// <summary>Constants both sides of the Core↔Node protocol agree on.</summary>
public static class ProtocolInfo
{
    /// <summary>The protocol version this build speaks. Bump on any incompatible change.</summary>
    public const int Version = 1;

    /// <summary>The oldest protocol version the Core still accepts from a Node.</summary>
    public const int MinSupportedVersion = 1;

    /// <summary>Largest WebSocket message either side accepts; larger ones are answered with an error and dropped.</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    /// <summary>How long a request waits for its response unless the caller asks otherwise.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often a Node sends <see cref="Methods.Heartbeat"/> while connected.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

    /// <summary>Silence after which the Core declares a Node offline (covers half-open connections).</summary>
    public static readonly TimeSpan OfflineAfter = TimeSpan.FromSeconds(6);

    public const string EnrollPath = "/api/v1/node/enroll";

    /// <summary>Where a Node waiting for an administrator polls its join request: <c>EnrollPath/{requestId}</c>.</summary>
    public static string JoinRequestPath(string requestId) => EnrollPath + "/" + Uri.EscapeDataString(requestId);
    public const string WebSocketPath = "/api/v1/node/ws";

    /// <summary>Header that carries the node id on the WebSocket upgrade; the secret goes in <c>Authorization: Bearer</c>.</summary>
    public const string NodeIdHeader = "X-SentinelX-Node";

    /// <summary>Header with the protocol version the Node speaks, checked before the upgrade.</summary>
    public const string ProtocolHeader = "X-SentinelX-Protocol";

    /// <summary>
    /// Where a Node dials a data stream the Core asked for (a shell, a file transfer, a log follow):
    /// a second WebSocket with the same node headers plus <see cref="StreamHeader"/>, carrying raw
    /// binary frames, so bulk bytes never queue behind the control socket's JSON.
    /// </summary>
    public const string StreamPath = "/api/v1/node/stream";

    /// <summary>Header with the stream id the Core put in the request that asked for the stream.</summary>
    public const string StreamHeader = "X-SentinelX-Stream";
}

/// <summary>
/// What a Node can be asked to do beyond reporting metrics. Each is behind two locks: the Core's
/// switch per Node (off until an admin turns it on) and the Node's own <c>allow</c> list.
/// </summary>
public static class Capabilities
{
    public const string Exec = "exec";
    public const string Shell = "shell";
    public const string Files = "files";
    public const string Docker = "docker";

    /// <summary>Open ports and carry traffic: forwards and relay-chain hops.</summary>
    public const string Forward = "forward";

    public static readonly IReadOnlyList<string> All = [Exec, Shell, Files, Docker, Forward];

    public static bool IsKnown(string? name) => name is Exec or Shell or Files or Docker or Forward;
}

/// <summary>JSON-RPC method names. Direction is in the comment; never reuse a name with other params.</summary>
public static partial class Methods
{
    /// <summary>Node → Core request, first message on a socket. <see cref="HelloParams"/> → <see cref="HelloResult"/>.</summary>
    public const string Hello = "node.hello";

    /// <summary>Node → Core request every <see cref="ProtocolInfo.HeartbeatInterval"/>. <see cref="HeartbeatParams"/> → <see cref="HeartbeatResult"/>.</summary>
    public const string Heartbeat = "node.heartbeat";

    /// <summary>Node → Core notification when system info changed. <see cref="Metrics.SystemInfo"/>.</summary>
    public const string SystemInfoChanged = "node.systemInfo";

    /// <summary>Node → Core notification carrying numbered samples in order. <see cref="SampleBatch"/>.</summary>
    public const string Samples = "metrics.samples";

    /// <summary>Core → Node notification: every sample up to <see cref="SampleAck.Seq"/> is durably stored. <see cref="SampleAck"/>.</summary>
    public const string SamplesAck = "metrics.ack";

    /// <summary>Core → Node request for fresh system info. <see cref="EmptyParams"/> → <see cref="Metrics.SystemInfo"/>.</summary>
    public const string GetSystemInfo = "system.get";
}
