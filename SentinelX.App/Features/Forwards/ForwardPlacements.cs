using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Compiles a stored rule into what each of its Nodes runs (see <see cref="ForwardPlacement"/>):
/// the entry gets the listener and the limits, every later hop a hop listener that only the hop
/// before it can use, and the last hop the targets and the PROXY protocol setting.
/// </summary>
public static class ForwardPlacements
{
    /// <summary>One placement per Node of the rule, entry first, each with its role.</summary>
    public static IReadOnlyList<(string NodeId, string Role, ForwardPlacement Placement)> Compile(ForwardRule rule)
    {
        var chain = rule.Chain;
        var targets = rule.Targets;
        var quota = rule.QuotaBytes > 0
            ? new ForwardQuota { Bytes = rule.QuotaBytes, Action = rule.QuotaAction, ThrottleMbps = rule.QuotaThrottleMbps, ResetDay = rule.ResetDay }
            : null;
        var entry = new ForwardPlacement
        {
            RuleId = rule.Id,
            Name = rule.Name,
            Protocol = rule.Protocol,
            Mode = rule.Mode,
            Listen = new ForwardListen { Address = rule.ListenAddress, Port = rule.ListenPort },
            Balance = rule.Balance,
            BandwidthMbps = rule.BandwidthMbps,
            MaxConnections = rule.MaxConnections,
            UdpIdleSeconds = rule.UdpIdleSeconds,
            Quota = quota,
        };
        if (chain.Count == 0) return [(rule.NodeId, Roles.Entry, entry with { Targets = targets, ProxyProtocol = rule.ProxyProtocol })];

        var result = new List<(string, string, ForwardPlacement)>(chain.Count)
        {
            (chain[0].NodeId, Roles.Entry, entry with { Next = Dial(chain[1]) }),
        };
        for (var i = 1; i < chain.Count; i++)
        {
            var hop = chain[i];
            var last = i == chain.Count - 1;
            var placement = new ForwardPlacement
            {
                RuleId = rule.Id,
                Name = rule.Name,
                Protocol = rule.Protocol,
                HopIn = new HopListen
                {
                    Transport = hop.Transport, Port = hop.Port, Path = hop.Path, Secret = hop.Secret, PeerNodeId = chain[i - 1].NodeId,
                },
                Next = last ? null : Dial(chain[i + 1]),
                Targets = last ? targets : [],
                Balance = rule.Balance,
                ProxyProtocol = last ? rule.ProxyProtocol : 0,
                UdpIdleSeconds = rule.UdpIdleSeconds,
            };
            result.Add((hop.NodeId, last ? Roles.Exit : Roles.Relay, placement));
        }

        return result;
    }

    /// <summary>True when any hop this Node listens on or dials uses TLS, so it needs its certificate.</summary>
    public static bool NeedsCredentials(IEnumerable<ForwardPlacement> placements) =>
        placements.Any(p => (p.HopIn is { } hopIn && HopTransports.UsesTls(hopIn.Transport)) || (p.Next is { } next && HopTransports.UsesTls(next.Transport)));

    private static HopDial Dial(ForwardHop hop) => new()
    {
        Transport = hop.Transport,
        Host = hop.Host,
        Port = hop.Port,
        Path = hop.Path,
        HostHeader = hop.HostHeader,
        Secret = hop.Secret,
        PeerNodeId = hop.NodeId,
    };

    /// <summary>What part of a rule a Node plays (<see cref="ForwardPlacementView.Role"/>).</summary>
    public static class Roles
    {
        public const string Entry = "entry";
        public const string Relay = "relay";
        public const string Exit = "exit";
    }
}
