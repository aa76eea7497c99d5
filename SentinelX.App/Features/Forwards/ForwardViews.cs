using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>Builds the <see cref="ForwardView"/> of a stored rule from its settings and the live state of its placements.</summary>
public static class ForwardViews
{
    public static ForwardView Of(ForwardRule rule, NodeRegistry registry, ForwardLive live, long monthIn, long monthOut)
    {
        string NameOf(string nodeId) => registry.Find(nodeId)?.Name ?? nodeId;
        var nodeIds = rule.NodeIds();
        var states = nodeIds.Select(nodeId => live.Placement(rule.Id, nodeId)).ToList();
        var placements = nodeIds.Select((nodeId, i) =>
        {
            var state = states[i];
            // Not answered yet: say why when the reason is known.
            if (state is { Status: ForwardStatuses.Pending, Error: null } && registry.Find(nodeId) is not { Online: true })
                state = state with { Error = ForwardPusher.OfflineError };
            var role = i == 0 ? ForwardPlacements.Roles.Entry : i == nodeIds.Count - 1 ? ForwardPlacements.Roles.Exit : ForwardPlacements.Roles.Relay;
            return new ForwardPlacementView(nodeId, NameOf(nodeId), role, state.Status, state.Error)
            {
                ConnectionsActive = state.ConnectionsActive,
                BytesIn = state.BytesIn,
                BytesOut = state.BytesOut,
            };
        }).ToList();

        var worst = placements.OrderByDescending(p => Severity(p.Status)).First();
        var error = worst.Error;
        // A later hop's error names its Node, so the user knows which server to look at.
        if (error is not null && worst.Role != ForwardPlacements.Roles.Entry && !error.Contains(worst.NodeName, StringComparison.Ordinal))
            error = $"{worst.NodeName}: {error}";
        var entry = live.Entry(rule.Id);
        var chain = rule.Chain;
        return new ForwardView
        {
            Id = rule.Id,
            Name = rule.Name,
            NodeId = rule.NodeId,
            NodeName = NameOf(rule.NodeId),
            Protocol = rule.Protocol,
            ListenAddress = rule.ListenAddress,
            ListenPort = rule.ListenPort,
            Targets = rule.Targets,
            Balance = rule.Balance,
            Mode = rule.Mode,
            BandwidthMbps = rule.BandwidthMbps,
            MaxConnections = rule.MaxConnections,
            ProxyProtocol = rule.ProxyProtocol,
            UdpIdleSeconds = rule.UdpIdleSeconds,
            Chain = [.. chain.Select(h => new ForwardHopView(h.NodeId, NameOf(h.NodeId), h.Transport, h.Host, h.Port, h.Path, h.HostHeader))],
            QuotaBytes = rule.QuotaBytes,
            QuotaAction = rule.QuotaAction,
            QuotaThrottleMbps = rule.QuotaThrottleMbps,
            ResetDay = rule.ResetDay,
            Status = worst.Status,
            Error = worst.Status is ForwardStatuses.Error or ForwardStatuses.Pending ? error : null,
            Stats = new ForwardStatsView(rule.BytesIn, rule.BytesOut, entry?.ConnectionsActive ?? 0, rule.ConnectionsTotal),
            RateInBps = entry?.RateIn ?? 0,
            RateOutBps = entry?.RateOut ?? 0,
            MonthBytesIn = monthIn,
            MonthBytesOut = monthOut,
            QuotaUsedBytes = entry?.QuotaUsedBytes ?? 0,
            QuotaReached = entry?.QuotaReached ?? false,
            // The last Node of the path dials the targets and health-checks them.
            TargetsDown = states[^1].TargetsDown,
            Placements = placements,
            CreatedAt = rule.CreatedAt,
            UpdatedAt = rule.UpdatedAt,
        };
    }

    /// <summary>Higher is worse: an error anywhere breaks the rule; pending means not confirmed yet.</summary>
    public static int Severity(string status) => status switch
    {
        ForwardStatuses.Active => 0,
        ForwardStatuses.QuotaBlocked => 1,
        ForwardStatuses.Pending => 2,
        _ => 3,
    };
}
