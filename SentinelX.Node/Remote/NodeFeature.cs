using SentinelX.Node.Config;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// A capability the Core can call on this Node (exec, shell, files, docker, forward). Each session builds a
/// fresh method map and lets every feature add its methods; handlers check
/// <see cref="SessionContext.Demand"/> first, so a capability the server's owner did not allow is
/// refused here whatever the Core says. Monitoring features (the process list) have no lock and do not.
/// </summary>
internal interface INodeFeature
{
    void Register(JsonRpcMethods methods, SessionContext session);
}

/// <summary>What a feature's handlers need from the session they serve.</summary>
internal sealed class SessionContext(NodeSettings settings, StreamDialer streams, CancellationToken closed)
{
    /// <summary>The session's peer, for notifications back to the Core. Set before the first message is read.</summary>
    public JsonRpcPeer Peer { get; set; } = null!;

    public NodeSettings Settings => settings;

    /// <summary>Dials the data streams the Core asks for.</summary>
    public StreamDialer Streams => streams;

    /// <summary>Fires when the session ends; work started for it (a command, a shell) stops with it.</summary>
    public CancellationToken Closed => closed;

    /// <summary>Throws the JSON-RPC error the Core shows as "refused by the Node's own config".</summary>
    public void Demand(string capability)
    {
        if (!settings.Allow.Contains(capability))
        {
            throw new JsonRpcException(JsonRpcErrorCodes.CapabilityForbidden,
                $"this server's own config does not allow {capability} (\"allow\" in /etc/sentinelx/node.toml, or --monitor-only)");
        }
    }
}
