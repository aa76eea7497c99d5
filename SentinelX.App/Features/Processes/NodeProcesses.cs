using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.App.Features.Processes;

/// <summary>
/// Asks a Node for its top processes, for the API and the Processes tab. Monitoring: no capability
/// lock, callers check the user's role (viewer and up). The request is checked before it is sent and
/// the answer before anyone sees it: a Node's strings are whatever its processes chose to be called.
/// </summary>
public sealed class NodeProcesses(ILogger<NodeProcesses> logger)
{
    /// <summary>What failures name as the operation that failed.</summary>
    public const string Feature = "processes";

    /// <summary>Longest Node error text passed on; a Node's message is untrusted and has no reason to be long.</summary>
    private const int MaxDetail = 300;

    public async Task<NodeResult<ProcessTopResult>> TopAsync(NodeState node, int top, string sort, CancellationToken ct)
    {
        if (ProcessNames.Validate(top, sort) is { } invalid) return Invalid(top, sort, invalid);
        if (node.Session is not { } session) return NodeFailure.Offline(node);

        ProcessTopResult result;
        try
        {
            result = await session.Peer.RequestAsync(Methods.ProcessTop, new ProcessTopParams { Top = top, Sort = sort },
                ProtocolJsonContext.Default.ProcessTopParams, ProtocolJsonContext.Default.ProcessTopResult, ct: ct);
        }
        catch (JsonRpcException ex) when (ex.Code == JsonRpcErrorCodes.MethodNotFound)
        {
            return new NodeFailure(NodeFailureKind.NodeError, "Node agent too old",
                $"node {node.Name} does not list processes: its agent ({node.AgentVersion}) predates {Methods.ProcessTop}; update sentinelx-node");
        }
        catch (JsonRpcException ex) when (ex.Code == JsonRpcErrorCodes.InvalidParams)
        {
            // The request was checked above, so this is the Node refusing a valid one or sending an answer that does not parse.
            return BrokenAnswer(node, ex.Message);
        }
        catch (Exception ex) when (ex is JsonRpcException or IOException or TimeoutException)
        {
            var failure = NodeFailure.From(node, ex, Feature);
            return failure.Detail.Length > MaxDetail ? failure with { Detail = failure.Detail[..MaxDetail] + "…" } : failure;
        }

        if (ProtocolValidation.Validate(result, top) is { } broken) return BrokenAnswer(node, broken);
        return result;
    }

    private static NodeFailure Invalid(int top, string? sort, string message)
    {
        var field = top is < 1 or > ProcessNames.MaxTop ? "top" : "sort";
        return NodeFailure.BadRequest("Invalid process query", message) with
        {
            Errors = new Dictionary<string, string[]> { [field] = [message] },
        };
    }

    private NodeFailure BrokenAnswer(NodeState node, string reason)
    {
        if (reason.Length > MaxDetail) reason = reason[..MaxDetail] + "…";
        logger.LogWarning("Node {Node} sent an unusable process list: {Reason}", node.Id, reason);
        return new NodeFailure(NodeFailureKind.NodeError, "Invalid answer from the node", $"node {node.Name} sent a process list the Core cannot show: {reason}");
    }
}
