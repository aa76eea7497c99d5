using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.RemoteAccess;

/// <summary>
/// A remote operation that did not happen: the HTTP status and text the API answers with and, when
/// one of the locks (or a missing connection) was the reason, which (<see cref="CapabilityLocks.CoreLock"/>,
/// <see cref="CapabilityLocks.NodeLock"/> or <see cref="CapabilityLocks.Offline"/>).
/// </summary>
public sealed record NodeFailure(int Status, string Title, string Detail, string? Lock = null)
{
    /// <summary>The RFC 9457 problem, with the lock as an extension member.</summary>
    public ProblemHttpResult ToProblem() => TypedResults.Problem(
        title: Title, detail: Detail, statusCode: Status,
        extensions: Lock is null ? null : new Dictionary<string, object?> { ["lock"] = Lock });

    public static NodeFailure Offline(NodeState node) =>
        new(503, "Node offline", $"node {node.Name} ({node.Id}) is not connected", CapabilityLocks.Offline);

    /// <summary>
    /// What a Node's JSON-RPC error means over HTTP. Features that put a reason in the error's data
    /// (files, Docker) refine <see cref="JsonRpcErrorCodes.OperationFailed"/> before falling back to this.
    /// </summary>
    public static NodeFailure FromNode(JsonRpcException ex, string capability) => ex.Code switch
    {
        JsonRpcErrorCodes.CapabilityForbidden => new(403, $"{capability} is not allowed by the server's own config", ex.Message, CapabilityLocks.NodeLock),
        JsonRpcErrorCodes.NotFound => new(404, "Not found on the node", ex.Message),
        JsonRpcErrorCodes.InvalidParams => new(400, "Invalid request", ex.Message),
        JsonRpcErrorCodes.OperationFailed => new(422, "The operation failed on the node", ex.Message),
        JsonRpcErrorCodes.Timeout => new(504, "The node did not answer", ex.Message),
        _ => new(502, "Node error", ex.Message),
    };
}
