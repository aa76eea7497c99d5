using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// A feature that answers messages a Node sends on its own (e.g. a command's output as it comes).
/// Registered in DI; every new session adds each feature's methods to its map.
/// </summary>
public interface INodeSessionHandlers
{
    void Register(JsonRpcMethods methods, NodeState node);
}
