using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// Once a second, drops sessions that went silent (a half-open TCP connection never closes by
/// itself; Nodes heartbeat every 2 s, so 6 s of silence means gone), and every 15 s writes
/// last-seen times and stored seqs to the database.
/// </summary>
public sealed class NodeLiveness(NodeRegistry registry, IServiceScopeFactory scopes, TimeProvider time, ILogger<NodeLiveness> logger)
    : BackgroundService
{
    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        var lastFlush = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();
                if (time.GetElapsedTime(lastFlush) >= FlushEvery)
                {
                    await FlushAsync(stoppingToken);
                    lastFlush = time.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Sweep();
        await FlushAsync(cancellationToken);
    }

    private void Sweep()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var tick = Environment.TickCount64;
        foreach (var node in registry.All)
        {
            if (node.Session is not { } session) continue;
            var silentMs = tick - session.Peer.LastReceivedTicks;
            node.LastSeenAt = now - silentMs;
            node.Dirty = true;
            if (silentMs > ProtocolInfo.OfflineAfter.TotalMilliseconds)
            {
                logger.LogWarning("Node {Node} ({Name}) silent for {Seconds:0.#} s; dropping its connection", node.Id, node.Name, silentMs / 1000.0);
                session.Peer.Abort();
            }
        }
    }

    /// <summary>Writes what changed in memory; a failure is logged and retried on the next round.</summary>
    private async Task FlushAsync(CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
            // One transaction for the round: with 2,000 nodes that is one commit, not 2,000.
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            foreach (var node in registry.All)
            {
                if (!node.Dirty) continue;
                node.Dirty = false;
                long seen = node.LastSeenAt, seq = node.LastStoredSeq;
                await db.Nodes.Where(n => n.Id == node.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(n => n.LastSeenAt, seen)
                    .SetProperty(n => n.LastSeq, n => n.LastSeq > seq ? n.LastSeq : seq), ct);
            }

            await transaction.CommitAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not save node last-seen times; will retry");
        }
    }
}
