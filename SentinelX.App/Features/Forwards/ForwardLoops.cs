using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Finds forwarding loops a rule would create: a target that is the rule's own listener, or a
/// target that is another rule's listener whose targets lead back (realm #103: a loop exhausts
/// the Node's sockets within seconds). A target is matched to a listener when its host is a
/// loopback name on the Node that dials it, the listener's own address, or any address the
/// listener's Node is known by. DNS names are not looked up: the Core cannot know what the
/// Node's resolver answers.
/// </summary>
public static class ForwardLoops
{
    /// <summary>Null when <paramref name="rule"/> (with its chain set) creates no loop; else the message to show.</summary>
    public static string? Find(ForwardRule rule, IReadOnlyCollection<ForwardRule> others, NodeRegistry registry)
    {
        var rules = others.Where(r => r.Id != rule.Id).Append(rule).ToList();
        var addresses = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        IReadOnlySet<string> AddressesOf(string nodeId)
        {
            if (!addresses.TryGetValue(nodeId, out var set))
                addresses[nodeId] = set = registry.Find(nodeId) is { } node ? ForwardEndpoints.AddressesOf(node) : new HashSet<string>();
            return set;
        }

        var visited = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<ForwardRule> { rule };
        return Walk(rule, null);

        // origin: the new rule's own target this walk started from, which is what the user has to change.
        string? Walk(ForwardRule from, string? origin)
        {
            var dialer = from.NodeIds()[^1];
            foreach (var target in from.Targets)
            {
                var first = origin ?? target;
                if (ForwardEndpoints.ParseTarget(target) is not var (host, port)) continue;
                foreach (var next in rules)
                {
                    if (!Reaches(host, port, dialer, from.Protocol, next)) continue;
                    if (next.Id == rule.Id)
                    {
                        if (path.Count == 1)
                            return $"target {first} is this rule's own listen address (port {rule.ListenPort} on node {NodeName(registry, rule.NodeId)}): it would forward to itself";
                        var names = string.Join(" → ", path.Append(rule).Select(r => $"\"{r.Name}\""));
                        return $"target {first} leads back to this rule: forwarding loop {names}";
                    }

                    if (!visited.Add(next.Id)) continue;
                    path.Add(next);
                    if (Walk(next, first) is { } loop) return loop;
                    path.RemoveAt(path.Count - 1);
                }
            }

            return null;
        }

        bool Reaches(string host, int port, string dialer, string protocol, ForwardRule listener)
        {
            if (listener.ListenPort != port) return false;
            var sharesProtocol = (ForwardProtocols.HasTcp(protocol) && ForwardProtocols.HasTcp(listener.Protocol))
                || (ForwardProtocols.HasUdp(protocol) && ForwardProtocols.HasUdp(listener.Protocol));
            if (!sharesProtocol) return false;
            if (ForwardEndpoints.IsLoopback(host)) return listener.NodeId == dialer;
            var normalized = ForwardEndpoints.Normalize(host) ?? host;
            return string.Equals(normalized, listener.ListenAddress, StringComparison.OrdinalIgnoreCase)
                || AddressesOf(listener.NodeId).Contains(normalized);
        }
    }

    private static string NodeName(NodeRegistry registry, string nodeId) => registry.Find(nodeId)?.Name ?? nodeId;
}
