using System.Net.WebSockets;
using System.Text.Json.Serialization.Metadata;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Docker;

/// <summary>
/// Every Docker operation the API and the Docker tab perform on a Node: both capability locks are
/// checked before anything is sent, Node errors become problems a user can read, and every action
/// (refusals too) goes to the audit log. Callers check the user's role themselves.
/// </summary>
public sealed class DockerOperations(NodeStreams streams, AuditLog audit, ILogger<DockerOperations> logger)
{
    /// <summary>Stop and restart give the container 10 s to exit before the engine kills it; the request waits longer.</summary>
    private static readonly TimeSpan ActionTimeout = TimeSpan.FromSeconds(40);

    /// <summary>Listing usage asks the engine for one stats sample per running container.</summary>
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(15);

    public Task<NodeResult<DockerInfo>> InfoAsync(NodeState node, CancellationToken ct) =>
        RequestAsync(node, Methods.DockerInfo, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.DockerInfo, null, ct);

    public Task<NodeResult<DockerContainerList>> ContainersAsync(NodeState node, CancellationToken ct) =>
        RequestAsync(node, Methods.DockerContainers, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.DockerContainerList, ListTimeout, ct);

    public Task<NodeResult<DockerImageList>> ImagesAsync(NodeState node, CancellationToken ct) =>
        RequestAsync(node, Methods.DockerImages, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.DockerImageList, null, ct);

    /// <summary>Starts, stops, restarts or removes a container and records it as <c>docker.&lt;action&gt;</c> with the container's name.</summary>
    public async Task<NodeResult<DockerActionResult>> ActAsync(NodeState node, string container, string action, bool force, AuditActor actor, CancellationToken ct)
    {
        var auditAction = $"{AuditActions.Docker}.{action}";
        if (!DockerNames.IsAction(action))
            return NodeFailure.BadRequest("Unknown action", $"\"{action}\" is not a container action (known: {string.Join(", ", DockerNames.Actions)})");
        if (!DockerNames.IsValidContainer(container))
            return InvalidContainer(container);

        if (CapabilityLocks.Check(node, Capabilities.Docker) is { } refusal)
        {
            await audit.RecordAsync(actor, auditAction, node.Id, container, AuditResults.Refused, $"lock: {refusal.Lock}", ct);
            return refusal;
        }

        var outcome = await RequestAsync(node, Methods.DockerAction, new DockerActionParams { Id = container, Action = action, Force = force },
            ProtocolJsonContext.Default.DockerActionParams, ProtocolJsonContext.Default.DockerActionResult, ActionTimeout, ct);
        if (!outcome.Succeeded)
            await audit.RecordAsync(actor, auditAction, node.Id, container, outcome.Failure.Lock is null ? AuditResults.Failed : AuditResults.Refused, outcome.Failure.Detail, ct);
        else
            await audit.RecordAsync(actor, auditAction, node.Id, outcome.Value.Name, AuditResults.Ok, $"state: {outcome.Value.State}" + (force ? ", forced" : ""), ct);
        return outcome;
    }

    /// <summary>Asks the Node for a container's log and waits for its data stream; the caller reads and disposes the result.</summary>
    public async Task<NodeResult<DockerLogStream>> OpenLogsAsync(NodeState node, string container, int tail, bool follow, CancellationToken ct)
    {
        if (!DockerNames.IsValidContainer(container)) return InvalidContainer(container);
        if (tail is < 0 or > DockerNames.MaxTail)
            return NodeFailure.BadRequest("Invalid tail", $"tail must be within 0 to {DockerNames.MaxTail} lines");
        if (CapabilityLocks.Check(node, Capabilities.Docker) is { } refusal)
            return refusal;
        if (node.Session is not { } session) return NodeFailure.Offline(node);

        var stream = streams.Expect(node.Id);
        var connect = stream.ConnectAsync(StreamTimeout, ct);
        try
        {
            await session.Peer.RequestAsync(Methods.DockerLogs,
                new DockerLogsParams { Id = container, Tail = tail, Follow = follow, StreamId = stream.Id },
                ProtocolJsonContext.Default.DockerLogsParams, ProtocolJsonContext.Default.EmptyParams, StreamTimeout, ct);
#pragma warning disable CA2000 // the caller owns the log stream and disposes it when the client is done reading
            return new DockerLogStream(stream, await connect);
#pragma warning restore CA2000
        }
        catch (Exception ex) when (ex is JsonRpcException or IOException or TimeoutException)
        {
            stream.Dispose();
            await Quiet(connect);
            return Logged(node, NodeFailure.From(node, ex, Capabilities.Docker));
        }
        catch
        {
            stream.Dispose();
            await Quiet(connect);
            throw;
        }
    }

    private async Task<NodeResult<TResult>> RequestAsync<TParams, TResult>(
        NodeState node, string method, TParams parameters, JsonTypeInfo<TParams> paramsInfo, JsonTypeInfo<TResult> resultInfo,
        TimeSpan? timeout, CancellationToken ct)
    {
        if (CapabilityLocks.Check(node, Capabilities.Docker) is { } refusal)
            return refusal;
        var result = await node.RequestAsync(Capabilities.Docker, method, parameters, paramsInfo, resultInfo, timeout, ct);
        return result.Failure is { } failure ? Logged(node, failure) : result;
    }

    /// <summary>An error the Node could not name is worth a line in the Core's log: it is not one a user caused.</summary>
    private NodeFailure Logged(NodeState node, NodeFailure failure)
    {
        if (failure.Kind == NodeFailureKind.NodeError) logger.LogWarning("Docker request to {Node} failed: {Detail}", node.Id, failure.Detail);
        return failure;
    }

    private static NodeFailure InvalidContainer(string container) =>
        NodeFailure.BadRequest("Invalid container", $"\"{container}\" is not a container id or name (letters, digits, _ . -; starting with a letter or digit)");

    private static async Task Quiet(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }
    }
}

/// <summary>A container's log arriving from the Node: raw bytes until the Node closes the stream (end of log) or the reader stops.</summary>
public sealed class DockerLogStream(PendingStream stream, WebSocket socket) : IDisposable
{
    /// <summary>Hands every chunk to <paramref name="sink"/> until the log ends; cancelling <paramref name="ct"/> ends a follow.</summary>
    public async Task ReadAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                if (result.MessageType == WebSocketMessageType.Close) break;
                if (result.Count > 0) await sink(buffer.AsMemory(0, result.Count), ct);
            }

            if (socket.State == WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            await CloseAsync();
            throw;
        }
        catch (WebSocketException)
        {
            // The Node went away mid-log: what arrived is all there is.
        }
    }

    /// <summary>Tells the Node to stop sending (how a follow ends).</summary>
    public async Task CloseAsync()
    {
        if (socket.State != WebSocketState.Open) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "closed by the reader", timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }

    public void Dispose() => stream.Dispose();
}
