using System.Net;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Turns a <see cref="ForwardInput"/> into a rule ready to store, or says why not: field errors
/// (400, or 404 when only unknown Nodes are wrong), a forwarding loop (422), or a port another rule
/// holds (409). Chain hops get their defaults here: host, a free port, path and secret.
/// </summary>
public sealed class ForwardValidator(NodeRegistry registry)
{
    /// <summary>Hop listener ports the Core picks from when a hop does not name one.</summary>
    public const int HopPortFirst = 20000;

    public const int HopPortLast = 29999;

    /// <param name="input">What the user sent.</param>
    /// <param name="ruleId">The new rule's id, or the id of the rule being replaced.</param>
    /// <param name="existing">The stored rule an update replaces (its hop secrets and ports are kept), else null.</param>
    /// <param name="others">The stored rules (the one with <paramref name="ruleId"/> is skipped).</param>
    public NodeResult<ForwardRule> Validate(ForwardInput input, string ruleId, ForwardRule? existing, IReadOnlyCollection<ForwardRule> others)
    {
        // JSON may carry explicit nulls where the record promises values.
        input = input with
        {
            Targets = input.Targets ?? [],
            Chain = input.Chain is null ? [] : [.. input.Chain.Select(h => h ?? new ForwardHopInput())],
        };
        // The rule being replaced holds its own ports; it never conflicts with itself.
        others = [.. others.Where(r => r.Id != ruleId)];
        var errors = new FieldErrors();
        var name = input.Name?.Trim() ?? "";
        if (name.Length == 0) errors.Add("name", "name is required");
        else if (name.Length > ForwardLimits.MaxNameLength) errors.Add("name", $"name must be at most {ForwardLimits.MaxNameLength} characters");
        if (!ForwardProtocols.IsKnown(input.Protocol)) errors.Add("protocol", "protocol must be tcp, udp or tcp+udp");
        if (!ForwardBalance.IsKnown(input.Balance)) errors.Add("balance", "balance must be roundrobin or failover");
        if (!ForwardModes.IsKnown(input.Mode)) errors.Add("mode", "mode must be userspace or kernel");
        if (!QuotaActions.IsKnown(input.QuotaAction)) errors.Add("quotaAction", "quotaAction must be block or throttle");
        if (input.ListenPort is < 1 or > 65535) errors.Add("listenPort", "listenPort must be within 1 to 65535");
        if (!IPAddress.TryParse(input.ListenAddress, out _)) errors.Add("listenAddress", "listenAddress must be an IP address such as 0.0.0.0");
        if (input.ProxyProtocol is not (0 or 1 or 2)) errors.Add("proxyProtocol", "proxyProtocol must be 0 (off), 1 or 2");
        if (!double.IsFinite(input.BandwidthMbps) || input.BandwidthMbps < 0) errors.Add("bandwidthMbps", "bandwidthMbps must be 0 (unlimited) or more");
        if (input.MaxConnections < 0) errors.Add("maxConnections", "maxConnections must be 0 (unlimited) or more");
        if (input.UdpIdleSeconds is < 1 or > 86400) errors.Add("udpIdleSeconds", "udpIdleSeconds must be within 1 to 86400");
        if (input.QuotaBytes < 0) errors.Add("quotaBytes", "quotaBytes must be 0 (no quota) or more");
        if (!double.IsFinite(input.QuotaThrottleMbps) || input.QuotaThrottleMbps <= 0) errors.Add("quotaThrottleMbps", "quotaThrottleMbps must be more than 0");
        if (input.ResetDay is < 1 or > 28) errors.Add("resetDay", "resetDay must be within 1 to 28");
        ValidateTargets(input.Targets, errors);
        if (input.Mode == ForwardModes.Kernel)
        {
            if (input.Chain.Count > 0) errors.Add("chain", "kernel mode cannot use a relay chain");
            if (input.BandwidthMbps > 0) errors.Add("bandwidthMbps", "kernel mode cannot limit bandwidth; use userspace mode");
            if (input.ProxyProtocol != 0) errors.Add("proxyProtocol", "kernel mode cannot send the PROXY protocol; use userspace mode");
        }

        var entryId = ResolveEntry(input, errors);
        var (chain, autoPorts) = ResolveChain(input, existing, errors);
        if (errors.Count > 0) return errors.ToFailure();

        var rule = existing?.Clone() ?? new ForwardRule
        {
            Id = ruleId, Name = "", NodeId = "", Protocol = "", ListenAddress = "", TargetsJson = "[]", Balance = "", Mode = "", ChainJson = "[]",
            QuotaAction = "", CreatedBy = "", UpdatedBy = "",
        };
        rule.Name = name;
        rule.NodeId = entryId!;
        rule.Protocol = input.Protocol;
        rule.ListenAddress = IPAddress.Parse(input.ListenAddress).ToString();
        rule.ListenPort = input.ListenPort;
        rule.Targets = input.Targets;
        rule.Balance = input.Balance;
        rule.Mode = input.Mode;
        rule.BandwidthMbps = input.BandwidthMbps;
        rule.MaxConnections = input.MaxConnections;
        rule.ProxyProtocol = input.ProxyProtocol;
        rule.UdpIdleSeconds = input.UdpIdleSeconds;
        rule.QuotaBytes = input.QuotaBytes;
        rule.QuotaAction = input.QuotaAction;
        rule.QuotaThrottleMbps = input.QuotaThrottleMbps;
        rule.ResetDay = input.ResetDay;

        rule.Chain = chain;
        if (ForwardLoops.Find(rule, others, registry) is { } loop)
            return new NodeFailure(NodeFailureKind.Unprocessable, "Forwarding loop", loop) { Errors = new Dictionary<string, string[]> { ["targets"] = [loop] } };

        if (AssignPorts(rule, chain, autoPorts, others) is { } conflict) return conflict;
        rule.Chain = chain;
        return rule;
    }

    private static void ValidateTargets(IReadOnlyList<string>? targets, FieldErrors errors)
    {
        if (targets is null || targets.Count == 0)
        {
            errors.Add("targets", "at least one target (host:port) is required");
            return;
        }

        if (targets.Count > ForwardLimits.MaxTargets) errors.Add("targets", $"at most {ForwardLimits.MaxTargets} targets");
        for (var i = 0; i < targets.Count; i++)
        {
            if (ForwardEndpoints.ParseTarget(targets[i]) is null)
                errors.Add($"targets[{i}]", $"\"{targets[i]}\" is not host:port or [IPv6]:port with a valid host name and a port within 1 to 65535");
        }
    }

    private string? ResolveEntry(ForwardInput input, FieldErrors errors)
    {
        var first = input.Chain.Count > 0 ? input.Chain[0].NodeId : null;
        if (!string.IsNullOrEmpty(input.NodeId) && !string.IsNullOrEmpty(first) && first != input.NodeId)
        {
            errors.Add("chain[0].nodeId", "the first hop must be the entry node (nodeId)");
            return null;
        }

        var entry = string.IsNullOrEmpty(input.NodeId) ? first : input.NodeId;
        if (string.IsNullOrEmpty(entry))
        {
            errors.Add("nodeId", "nodeId is required (or the first hop's nodeId when a chain is given)");
            return null;
        }

        if (input.Chain.Count == 0 && registry.Find(entry) is null) errors.AddMissingNode("nodeId", entry);
        return entry;
    }

    /// <summary>The resolved hops and the indexes of hops whose port the Core chooses (kept from before when still free).</summary>
    private (List<ForwardHop> Hops, HashSet<int> AutoPorts) ResolveChain(ForwardInput input, ForwardRule? existing, FieldErrors errors)
    {
        var hops = new List<ForwardHop>();
        var autoPorts = new HashSet<int>();
        if (input.Chain.Count == 0) return (hops, autoPorts);
        if (input.Chain.Count is < 2 or > ForwardLimits.MaxHops)
        {
            errors.Add("chain", $"a chain has 2 to {ForwardLimits.MaxHops} hops (entry first, exit last)");
            return (hops, autoPorts);
        }

        var previous = existing?.Chain ?? [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < input.Chain.Count; i++)
        {
            var hop = input.Chain[i];
            var field = $"chain[{i}]";
            var nodeId = i == 0 && string.IsNullOrEmpty(hop.NodeId) ? input.NodeId : hop.NodeId;
            if (string.IsNullOrEmpty(nodeId))
            {
                errors.Add(field + ".nodeId", "every hop needs a nodeId");
                continue;
            }

            if (!seen.Add(nodeId)) errors.Add(field + ".nodeId", $"node {nodeId} appears twice in the chain");
            var node = registry.Find(nodeId);
            if (node is null) errors.AddMissingNode(field + ".nodeId", nodeId);
            if (i == 0)
            {
                hops.Add(new ForwardHop { NodeId = nodeId });
                continue;
            }

            if (!HopTransports.IsKnown(hop.Transport)) errors.Add(field + ".transport", "transport must be tcp, tls, ws or wss");
            if (hop.Port is { } port && port is < 1 or > 65535) errors.Add(field + ".port", "port must be within 1 to 65535");
            if (hop.Host is { } h && !ForwardEndpoints.IsHostName(h)) errors.Add(field + ".host", $"\"{h}\" is not a valid IP address or host name");
            if (hop.HostHeader is { } hh && !ForwardEndpoints.IsHostName(hh)) errors.Add(field + ".hostHeader", $"\"{hh}\" is not a valid host name");
            var path = string.IsNullOrEmpty(hop.Path) ? "/" : hop.Path;
            if (!path.StartsWith('/') || path.Length > 200 || path.Any(c => c <= ' ' || c == 0x7f))
                errors.Add(field + ".path", "path must start with / and contain no spaces or control characters (200 characters at most)");
            var host = hop.Host ?? (node is null ? null : ForwardEndpoints.DefaultHost(node));
            if (host is null && node is not null)
                errors.Add(field + ".host", $"node {node.Name} ({node.Id}) has no known address yet; set host");

            // An update keeps the secret (and the Core-picked port) of a hop that stays on the same Node,
            // so that Node's listener is not restarted needlessly.
            var kept = previous.FirstOrDefault(p => p.NodeId == nodeId && p.Secret.Length == HopPreamble.SecretLength);
            hops.Add(new ForwardHop
            {
                NodeId = nodeId,
                Transport = hop.Transport,
                Host = host ?? "",
                Port = hop.Port ?? kept?.Port ?? 0,
                Path = path,
                HostHeader = string.IsNullOrEmpty(hop.HostHeader) ? null : hop.HostHeader,
                Secret = kept?.Secret ?? HopPreamble.NewSecret(),
            });
            if (hop.Port is null) autoPorts.Add(i);
        }

        return (hops, autoPorts);
    }

    /// <summary>Refuses ports other rules hold on the same Node and gives every hop without one a free port.</summary>
    private static NodeFailure? AssignPorts(ForwardRule rule, List<ForwardHop> chain, HashSet<int> autoPorts, IReadOnlyCollection<ForwardRule> others)
    {
        var taken = others.SelectMany(ForwardPorts.Of).ToList();
        var mine = new List<ForwardPorts.Use> { new(rule.NodeId, rule.ListenPort, rule.Protocol, rule.ListenAddress, rule.Name, false) };
        for (var i = 1; i < chain.Count; i++)
        {
            if (!autoPorts.Contains(i)) mine.Add(new(chain[i].NodeId, chain[i].Port, ForwardProtocols.Tcp, "0.0.0.0", rule.Name, true));
        }

        foreach (var use in mine)
        {
            if (taken.FirstOrDefault(t => t.Conflicts(use)) is not { } holder) continue;
            var what = holder.Hop ? $"the hop listener of rule \"{holder.RuleName}\"" : $"rule \"{holder.RuleName}\"";
            var detail = $"port {use.Port}/{use.Protocol} on node {use.NodeId} is already used by {what}";
            var field = use.Hop ? $"chain[{chain.FindIndex(h => h.NodeId == use.NodeId)}].port" : "listenPort";
            return NodeFailure.Conflict("Port already in use", detail) with { Errors = new Dictionary<string, string[]> { [field] = [detail] } };
        }

        taken.AddRange(mine);
        foreach (var i in autoPorts.Order())
        {
            var hop = chain[i];
            var candidate = new ForwardPorts.Use(hop.NodeId, hop.Port, ForwardProtocols.Tcp, "0.0.0.0", rule.Name, true);
            var port = hop.Port > 0 && !taken.Any(t => t.Conflicts(candidate))
                ? hop.Port
                : Enumerable.Range(HopPortFirst, HopPortLast - HopPortFirst + 1)
                    .FirstOrDefault(p => !taken.Any(t => t.NodeId == hop.NodeId && t.Port == p));
            if (port == 0)
                return NodeFailure.Conflict("No free hop port", $"node {hop.NodeId} has no free port within {HopPortFirst} to {HopPortLast}; set the hop's port");
            chain[i] = hop with { Port = port };
            taken.Add(new(hop.NodeId, port, ForwardProtocols.Tcp, "0.0.0.0", rule.Name, true));
        }

        return null;
    }

    private sealed class FieldErrors
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
        private readonly HashSet<string> _missingNodeFields = new(StringComparer.Ordinal);

        public int Count => _errors.Count;

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
            list.Add(message);
        }

        public void AddMissingNode(string field, string nodeId)
        {
            Add(field, NodeFailure.UnknownNode(nodeId).Detail);
            _missingNodeFields.Add(field);
        }

        /// <summary>404 when the only thing wrong is a Node that does not exist; 400 otherwise.</summary>
        public NodeFailure ToFailure()
        {
            var errors = _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
            var detail = string.Join("; ", _errors.SelectMany(e => e.Value));
            return _errors.Keys.All(_missingNodeFields.Contains)
                ? new NodeFailure(NodeFailureKind.UnknownNode, "Node not found", detail) { Errors = errors }
                : new NodeFailure(NodeFailureKind.BadRequest, "Invalid forward", detail) { Errors = errors };
        }
    }
}
