using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Metrics;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// Where Nodes come in: enrollment with the Core's key (<c>POST /api/v1/node/enroll</c>, see
/// <see cref="NodeEnrollment"/>), the poll of a join request waiting for an administrator, and the
/// per-node WebSocket (<c>GET /api/v1/node/ws</c>) authenticated by node id and secret headers.
/// </summary>
public static class NodeGateway
{
    public static IEndpointRouteBuilder MapNodeGateway(this IEndpointRouteBuilder app)
    {
        app.MapPost(ProtocolInfo.EnrollPath, EnrollAsync).AllowAnonymous().WithTags("Node protocol");
        app.MapPost(ProtocolInfo.EnrollPath + "/{requestId}", PollJoinAsync).AllowAnonymous().WithTags("Node protocol");
        app.Map(ProtocolInfo.WebSocketPath, ConnectAsync).AllowAnonymous().WithTags("Node protocol");
        app.Map(ProtocolInfo.StreamPath, StreamAsync).AllowAnonymous().WithTags("Node protocol");
        return app;
    }

    private static async Task<Results<Ok<EnrollResponse>, Accepted<EnrollPending>, ProblemHttpResult>> EnrollAsync(
        EnrollRequest request, HttpContext http, CoreKeyStore keys, NodeEnrollment enrollment, CancellationToken ct)
    {
        var address = RemoteAddress(http);
        if (!keys.IsValid(BearerOf(http)))
        {
            await enrollment.RecordRefusedAsync(new AuditActor(Printable(request.Name ?? request.Hostname), "node", address),
                AuditActions.NodeEnroll, null, Printable(request.Hostname), "wrong enrollment key");
            return Problem(401, "Invalid enrollment key", "the enrollment key is wrong or was rotated; copy the current one with `sentinelx key show`");
        }

        if (ValidateEnroll(request) is { } invalid) return Problem(400, "Invalid enrollment request", invalid);
        return Answer(await enrollment.EnrollAsync(request, address, ct));
    }

    /// <summary>A Node waiting for an administrator asks how its join request stands (ticket in the Authorization header).</summary>
    private static async Task<Results<Ok<EnrollResponse>, Accepted<EnrollPending>, ProblemHttpResult>> PollJoinAsync(
        string requestId, HttpContext http, NodeEnrollment enrollment, CancellationToken ct) =>
        Answer(await enrollment.PollAsync(requestId, BearerOf(http), ct));

    private static Results<Ok<EnrollResponse>, Accepted<EnrollPending>, ProblemHttpResult> Answer(EnrollDecision decision) => decision switch
    {
        EnrollDecision.Enrolled e => TypedResults.Ok(e.Response),
        EnrollDecision.Waiting w => TypedResults.Accepted((string?)null, w.Pending),
        EnrollDecision.Refused r => Problem(r.Status, r.Title, r.Detail),
        _ => throw new InvalidOperationException("unknown enrollment decision"),
    };

    /// <summary>Names from unauthenticated callers go into the audit log capped and without control characters.</summary>
    private static string Printable(string? text) =>
        text is null ? "" : new string(text.Where(c => !char.IsControl(c)).Take(64).ToArray());

    private static async Task<IResult> ConnectAsync(HttpContext http, NodeRegistry registry, SampleWriter writer,
        IServiceScopeFactory scopes, ILoggerFactory loggers, TimeProvider time, IHostApplicationLifetime lifetime,
        IEnumerable<INodeSessionHandlers> sessionHandlers, IEnumerable<ISampleObserver> sampleObservers)
    {
        var logger = loggers.CreateLogger("SentinelX.Gateway");
        if (!TryAuthenticate(http, registry, logger, out var node, out var refusal)) return refusal;

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        node.RemoteAddress = RemoteAddress(http);
        var session = new NodeSession(node, socket, writer, scopes, logger, time, sessionHandlers, sampleObservers);
        node.Attach(session)?.Peer.Abort(); // newest connection wins; the old one is dead or a duplicate
        try
        {
            await session.RunAsync(lifetime.ApplicationStopping);
        }
        finally
        {
            if (node.Detach(session))
            {
                node.LastSeenAt = time.GetUtcNow().ToUnixTimeMilliseconds();
                node.Dirty = true;
                logger.LogInformation("Node {Node} ({Name}) disconnected", node.Id, node.Name);
            }

            await session.DisposeAsync();
        }

        return Results.Empty;
    }

    /// <summary>Checks the node headers of a control or stream connection; a refusal is the response to send.</summary>
    private static bool TryAuthenticate(HttpContext http, NodeRegistry registry, ILogger logger,
        [NotNullWhen(true)] out NodeState? node, [NotNullWhen(false)] out ProblemHttpResult? refusal)
    {
        refusal = Refuse(http, registry, logger, out node);
        return refusal is null && node is not null;
    }

    private static ProblemHttpResult? Refuse(HttpContext http, NodeRegistry registry, ILogger logger, out NodeState? node)
    {
        var nodeId = http.Request.Headers[ProtocolInfo.NodeIdHeader].ToString();
        node = nodeId.Length is > 0 and <= 64 ? registry.Find(nodeId) : null;
        if (node is null && registry.IsRemoved(nodeId))
        {
            // 410, not 401: a 401 makes the Node enroll again with its key, which would undo the removal.
            logger.LogWarning("Node connection refused from {Address}: node {Node} was removed", http.Connection.RemoteIpAddress, nodeId);
            return Problem(410, "Node removed", $"node {nodeId} was removed by an administrator; delete identity.json in the Node's data directory and restart it to enroll again");
        }

        if (node is null || !SecretText.Matches(BearerOf(http), node.SecretHash))
        {
            logger.LogWarning("Node connection refused from {Address}: unknown node or wrong secret ({Node})", http.Connection.RemoteIpAddress, nodeId);
            return Problem(401, "Unknown node or wrong secret", "this node is not enrolled with this Core (or its secret was replaced); enroll again with the key");
        }

        if (node.Revoked) return Problem(403, "Node revoked", $"node {node.Id} was revoked by an administrator");

        var version = http.Request.Headers[ProtocolInfo.ProtocolHeader].ToString();
        if (!int.TryParse(version, out var v) || v < ProtocolInfo.MinSupportedVersion || v > ProtocolInfo.Version)
        {
            return Problem(400, "Unsupported protocol version",
                $"node speaks protocol '{version}', this Core speaks {ProtocolInfo.MinSupportedVersion} to {ProtocolInfo.Version}; upgrade the older side");
        }

        if (!http.WebSockets.IsWebSocketRequest) return Problem(400, "WebSocket required", "connect with a WebSocket upgrade request");

        return null;
    }

    /// <summary>A data stream a Node opens because the Core asked for it (see <see cref="NodeStreams"/>).</summary>
    private static async Task<IResult> StreamAsync(HttpContext http, NodeRegistry registry, NodeStreams streams, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        var logger = loggers.CreateLogger("SentinelX.Gateway");
        if (!TryAuthenticate(http, registry, logger, out var node, out var refusal)) return refusal;

        var streamId = http.Request.Headers[ProtocolInfo.StreamHeader].ToString();
        if (!streams.IsExpected(streamId, node.Id))
            return Problem(404, "Unknown stream", "no operation is waiting for this stream id; it may have timed out");

        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        if (streams.Accept(streamId, node.Id, socket) is not { } done) return Results.Empty;

        // The operation owns the socket now; this request only has to stay open until it is done.
        await done.WaitAsync(lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default);
        return Results.Empty;
    }

    private static string? ValidateEnroll(EnrollRequest r)
    {
        if (r.ProtocolVersion is < ProtocolInfo.MinSupportedVersion or > ProtocolInfo.Version)
            return $"protocol version {r.ProtocolVersion} is not supported; this Core speaks {ProtocolInfo.MinSupportedVersion} to {ProtocolInfo.Version}";
        if (string.IsNullOrWhiteSpace(r.MachineId) || r.MachineId.Length > 128) return "machineId must be 1 to 128 characters";
        if (string.IsNullOrWhiteSpace(r.Hostname) || r.Hostname.Length > 255) return "hostname must be 1 to 255 characters";
        if (r.AgentVersion.Length > 64) return "agentVersion is too long";
        return ProtocolValidation.ValidateName(r.Name);
    }

    private static string? BearerOf(HttpContext http)
    {
        string? header = http.Request.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string? RemoteAddress(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        return address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);
}
