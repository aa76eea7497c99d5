using SentinelX.Node.Forwarding;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// <c>forward.sync</c> hands the Core's placement set to the agent-wide <see cref="ForwardEngine"/>;
/// while the session lasts and placements exist, <c>forward.stats</c> reports their counters every
/// <see cref="ForwardLimits.StatsInterval"/>.
/// </summary>
internal sealed class ForwardFeature(ForwardEngine engine) : INodeFeature
{
    public void Register(JsonRpcMethods methods, SessionContext session)
    {
        methods.OnRequest(Methods.ForwardSync, ProtocolJsonContext.Default.ForwardSyncParams, ProtocolJsonContext.Default.ForwardSyncResult, async (request, ct) =>
        {
            session.Demand(Capabilities.Forward);
            if (request.Placements.Count > ForwardLimits.MaxPlacementsPerNode)
                throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"at most {ForwardLimits.MaxPlacementsPerNode} placements per node");
            return await engine.ApplyAsync(request, ct);
        });

        if (engine.Allowed) _ = ReportLoopAsync(session);
    }

    private async Task ReportLoopAsync(SessionContext session)
    {
        using var timer = new PeriodicTimer(ForwardLimits.StatsInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(session.Closed))
            {
                if (!engine.HasPlacements) continue;
                var placements = await engine.StatsAsync(session.Closed);
                var report = new ForwardStatsReport { Time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Placements = placements };
                await session.Peer.NotifyAsync(Methods.ForwardStats, report, ProtocolJsonContext.Default.ForwardStatsReport, session.Closed);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            Log.Debug($"forward stats stopped: {ex.Message}");
        }
    }
}
