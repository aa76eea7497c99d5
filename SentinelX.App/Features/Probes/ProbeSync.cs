using System.Collections.Concurrent;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Probes;

/// <summary>
/// Sends each Node the probes it runs (<c>probe.sync</c>): after it says hello on a new connection,
/// and to every connected Node when probes change. Probing is monitoring, not a locked capability;
/// a Node whose own config turned it off answers <c>enabled:false</c>, which the probes page shows.
/// </summary>
public sealed class ProbeSync(NodeRegistry registry, ProbeStore probes, ILogger<ProbeSync> log) : IHostedService
{
    public static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, NodeSession> _synced = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>Node id → what it answered last: how many probes run, and whether its config allows probing.</summary>
    public ConcurrentDictionary<string, ProbeSyncResult> Answers { get; } = new(StringComparer.Ordinal);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        registry.Changed += OnNodeChanged;
        probes.Changed += OnProbesChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        registry.Changed -= OnNodeChanged;
        probes.Changed -= OnProbesChanged;
        return Task.CompletedTask;
    }

    /// <summary>Sends <paramref name="node"/> its set now (tests and the sync loop).</summary>
    public async Task SyncAsync(NodeState node, CancellationToken ct, bool clearing = false)
    {
        var gate = _gates.GetOrAdd(node.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (node.Session is not { HelloDone: true } session) return;
            var all = await probes.ListAsync(ct);
            // A Core without probes sends nothing on hello. Deleting the last probe sends every
            // connected Node the empty set; one offline then keeps its old set until a probe exists again.
            if (all.Count == 0 && !clearing) return;
            var set = all.Where(p => p.Covers(node)).Select(p => p.ToDefinition()).ToList();
            var answer = await session.Peer.RequestAsync(Methods.ProbeSync, new ProbeSyncParams { Probes = set },
                ProtocolJsonContext.Default.ProbeSyncParams, ProtocolJsonContext.Default.ProbeSyncResult, SyncTimeout, ct);
            Answers[node.Id] = answer;
            if (!answer.Enabled && set.Count > 0)
                log.LogInformation("Node {Node} ({Name}) has probing turned off in its config; its {Count} probes do not run", node.Id, node.Name, set.Count);
        }
        catch (JsonRpcException e)
        {
            log.LogWarning("Node {Node} ({Name}) refused its probes: {Message}", node.Id, node.Name, e.Message);
        }
        catch (Exception e) when (e is OperationCanceledException or System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
        {
            // The connection went away; the next hello syncs again.
        }
        finally
        {
            gate.Release();
        }
    }

    private void OnNodeChanged(NodeState node)
    {
        // Changed fires on every sample: only a new session that finished its hello needs the set.
        if (node.Session is not { HelloDone: true } session) return;
        if (_synced.TryGetValue(node.Id, out var seen) && ReferenceEquals(seen, session)) return;
        _synced[node.Id] = session;
        _ = Task.Run(() => SyncAsync(node, CancellationToken.None));
    }

    private void OnProbesChanged()
    {
        foreach (var node in registry.All.Where(n => n.Online))
            _ = Task.Run(() => SyncAsync(node, CancellationToken.None, clearing: true));
    }
}
