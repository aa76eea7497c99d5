using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Takes what a Node says about its placements (a <c>forward.stats</c> report or a sync result):
/// keeps each placement's status, turns the entry's cumulative counters into deltas and stores
/// them, all rules of one report in one transaction. A Node can only speak for placements the
/// Core gave it; anything else in its report is ignored.
/// </summary>
public sealed class ForwardStatsIngest(ForwardLive live, ForwardTrafficStore store, TimeProvider time, ILogger<ForwardStatsIngest> logger)
{
    /// <summary>Applies <paramref name="placements"/> from <paramref name="node"/>; true when anything was accepted.</summary>
    public async Task<bool> IngestAsync(NodeState node, IReadOnlyList<ForwardPlacementStats> placements, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var deltas = new List<ForwardTrafficStore.Delta>();
        var accepted = false;
        foreach (var stats in placements)
        {
            if (live.Find(stats.RuleId) is not { } rule || !rule.NodeIds().Contains(node.Id)) continue;
            accepted = true;
            var status = stats.Status is ForwardStatuses.Active or ForwardStatuses.Error or ForwardStatuses.QuotaBlocked ? stats.Status : ForwardStatuses.Error;
            var error = status == ForwardStatuses.Error ? Trim(stats.Error) ?? $"the node reported status \"{stats.Status}\"" : null;
            live.SetPlacement(rule.Id, node.Id, status, error, stats);
            // Only the entry's counters are the rule's: later hops see the same bytes again.
            if (live.ApplyEntryReport(node.Id, stats, now) is { } delta)
                deltas.Add(new(rule.Id, delta, new ForwardCounters(stats.BytesIn, stats.BytesOut, stats.ConnectionsTotal)));
        }

        try
        {
            await store.StoreAsync(deltas, now, ct);
        }
        catch (Exception ex) when (ex is Microsoft.EntityFrameworkCore.DbUpdateException or InvalidOperationException or System.Data.Common.DbException)
        {
            // The totals in memory already moved on; the next report stores its own delta, so only this one is lost.
            logger.LogError(ex, "Forward counters from node {Node} not stored", node.Id);
        }

        return accepted;
    }

    private static string? Trim(string? error) => string.IsNullOrWhiteSpace(error) ? null : error.Length > 500 ? error[..500] : error;
}
