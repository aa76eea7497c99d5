using System.Collections.Concurrent;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Sends each Node its complete placement set (<c>forward.sync</c>) and records what it answers.
/// Syncs of one Node never overlap, and each one reads the newest rules, so the last word is
/// always the current state. A Node whose forward lock is closed gets nothing: its placements
/// show the lock's message instead.
/// </summary>
public sealed class ForwardPusher(NodeRegistry registry, ForwardLive live, ForwardCa ca, ForwardStatsIngest ingest, ILogger<ForwardPusher> logger)
{
    /// <summary>How long a Node gets to apply its set and answer.</summary>
    public static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(10);

    public const string OfflineError = "node offline";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>Syncs <paramref name="nodeId"/> now; returns the states it answered with, or null when it was not reached.</summary>
    public async Task<IReadOnlyList<ForwardPlacementStats>?> SyncAsync(string nodeId, CancellationToken ct = default)
    {
        var gate = _gates.GetOrAdd(nodeId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            return await SyncLockedAsync(nodeId, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Syncs every Node in <paramref name="nodeIds"/> at once; failures only show as placement status.</summary>
    public Task SyncAllAsync(IEnumerable<string> nodeIds) =>
        Task.WhenAll(nodeIds.Distinct(StringComparer.Ordinal).Select(id => SyncAsync(id, CancellationToken.None)));

    private async Task<IReadOnlyList<ForwardPlacementStats>?> SyncLockedAsync(string nodeId, CancellationToken ct)
    {
        if (registry.Find(nodeId) is not { } node) return null;
        var rules = live.RulesOn(nodeId);
        if (CapabilityLocks.Check(node, Capabilities.Forward) is { } refusal)
        {
            var offline = refusal.Lock == CapabilityLocks.Offline;
            live.SetNode(nodeId, offline ? ForwardStatuses.Pending : ForwardStatuses.Error, offline ? OfflineError : refusal.Detail);
            // Turning the Core's switch off must stop what already runs there: the empty set removes
            // every placement and carries no rule, so it grants nothing the switch forbids.
            if (refusal.Lock == CapabilityLocks.CoreLock) await StopAllAsync(node, ct);
            return null;
        }

        var placements = rules.SelectMany(ForwardPlacements.Compile).Where(p => p.NodeId == nodeId).Select(p => p.Placement).ToList();
        var request = new ForwardSyncParams
        {
            Placements = placements,
            Credentials = ForwardPlacements.NeedsCredentials(placements) ? ca.For(nodeId) : null,
        };
        ForwardSyncResult result;
        try
        {
            if (node.Session is not { } session) throw new IOException("not connected");
            result = await session.Peer.RequestAsync(Methods.ForwardSync, request, ProtocolJsonContext.Default.ForwardSyncParams,
                ProtocolJsonContext.Default.ForwardSyncResult, SyncTimeout, ct);
        }
        catch (JsonRpcException ex)
        {
            var error = ex.Code switch
            {
                JsonRpcErrorCodes.MethodNotFound => $"node {node.Name} cannot forward: its agent does not know {Methods.ForwardSync} (update the node)",
                JsonRpcErrorCodes.Timeout => $"node {node.Name} did not answer {Methods.ForwardSync} within {SyncTimeout.TotalSeconds:0} s",
                _ => $"node {node.Name} refused the rules: {ex.Message}",
            };
            logger.LogWarning("Forward sync to {Node} failed: {Error}", nodeId, ex.Message);
            live.SetNode(nodeId, ForwardStatuses.Error, error);
            return null;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            live.SetNode(nodeId, ForwardStatuses.Pending, OfflineError);
            return null;
        }

        await ingest.IngestAsync(node, result.Placements, ct);
        var answered = result.Placements.Select(p => p.RuleId).ToHashSet(StringComparer.Ordinal);
        foreach (var rule in rules.Where(r => !answered.Contains(r.Id)))
            live.SetPlacement(rule.Id, nodeId, ForwardStatuses.Error, $"node {node.Name} did not report this rule after applying it");
        return result.Placements;
    }

    private async Task StopAllAsync(NodeState node, CancellationToken ct)
    {
        if (node.Session is not { HelloDone: true } session || node.Allowed?.Contains(Capabilities.Forward) != true) return;
        try
        {
            await session.Peer.RequestAsync(Methods.ForwardSync, new ForwardSyncParams { Placements = [] }, ProtocolJsonContext.Default.ForwardSyncParams,
                ProtocolJsonContext.Default.ForwardSyncResult, SyncTimeout, ct);
        }
        catch (Exception ex) when (ex is JsonRpcException or IOException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            logger.LogDebug("Forward stop on {Node} not delivered: {Error}", node.Id, ex.Message);
        }
    }
}
