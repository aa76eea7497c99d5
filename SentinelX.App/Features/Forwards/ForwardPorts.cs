using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>The ports a rule holds on its Nodes: the entry's listener and every hop listener.</summary>
public static class ForwardPorts
{
    /// <summary>One port a rule listens on. Hop listeners are always TCP on every address.</summary>
    public sealed record Use(string NodeId, int Port, string Protocol, string Address, string RuleName, bool Hop)
    {
        /// <summary>Same Node and port, a protocol in common, and addresses that overlap (equal, or either is a wildcard).</summary>
        public bool Conflicts(Use other) =>
            NodeId == other.NodeId && Port == other.Port
            && ((ForwardProtocols.HasTcp(Protocol) && ForwardProtocols.HasTcp(other.Protocol)) || (ForwardProtocols.HasUdp(Protocol) && ForwardProtocols.HasUdp(other.Protocol)))
            && (Address == other.Address || ForwardEndpoints.IsWildcard(Address) || ForwardEndpoints.IsWildcard(other.Address));
    }

    public static IEnumerable<Use> Of(ForwardRule rule)
    {
        yield return new Use(rule.NodeId, rule.ListenPort, rule.Protocol, rule.ListenAddress, rule.Name, false);
        var chain = rule.Chain;
        for (var i = 1; i < chain.Count; i++) yield return new Use(chain[i].NodeId, chain[i].Port, ForwardProtocols.Tcp, "0.0.0.0", rule.Name, true);
    }
}
