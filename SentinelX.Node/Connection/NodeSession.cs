using System.Net.WebSockets;
using System.Text.Json;
using SentinelX.Node.Config;
using SentinelX.Node.Logging;
using SentinelX.Node.Metrics;
using SentinelX.Node.Outbox;
using SentinelX.Node.Remote;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Connection;

/// <summary>
/// One connected socket: hello, then a select over four things until the first one ends it — the
/// peer's receive loop (inbound requests and acks), the heartbeat timer, the sender (woken by new
/// samples and by acks) and the system-info watcher. Whatever ends first cancels the rest.
/// </summary>
internal sealed class NodeSession(
    NodeSettings settings,
    SampleOutbox outbox,
    SystemInfoCollector systemInfo,
    AsyncSignal wake,
    string agentVersion,
    StreamDialer streams,
    IReadOnlyList<INodeFeature> features)
{
    /// <summary>Sent but not yet acknowledged samples allowed in flight.</summary>
    internal const int MaxInFlight = 2000;

    /// <summary>JSON per batch, well under <see cref="ProtocolInfo.MaxMessageBytes"/> with room for the envelope.</summary>
    internal const int MaxBatchBytes = 512 * 1024;

    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SystemInfoCheck = TimeSpan.FromSeconds(60);

    /// <summary>With a full window and no ack for this long the Core is stuck; reconnecting restarts from its last stored seq.</summary>
    private static readonly TimeSpan AckStall = TimeSpan.FromSeconds(60);

    private JsonRpcPeer _peer = null!;
    private long _sentUpTo;
    private byte[] _lastSystemInfo = [];

    /// <summary>Runs the session until the socket dies or <paramref name="ct"/> (shutdown) fires; returns why it ended.</summary>
    public async Task<string> RunAsync(WebSocket socket, CancellationToken ct)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var context = new SessionContext(settings, streams, session.Token);
        await using var peer = new JsonRpcPeer(socket, Handlers(context), (message, ex) => Log.Warn($"protocol: {message}", ex));
        _peer = peer;
        context.Peer = peer;
        var receive = peer.RunAsync(session.Token);
        try
        {
            var info = systemInfo.Collect();
            _lastSystemInfo = JsonSerializer.SerializeToUtf8Bytes(info, ProtocolJsonContext.Default.SystemInfo);
            var hello = await peer.RequestAsync(
                Methods.Hello,
                new HelloParams
                {
                    ProtocolVersion = ProtocolInfo.Version,
                    AgentVersion = agentVersion,
                    Name = settings.Name,
                    SampleIntervalMs = settings.SampleIntervalMs,
                    System = info,
                    Allow = [.. settings.Allow.Order(StringComparer.Ordinal)],
                },
                ProtocolJsonContext.Default.HelloParams,
                ProtocolJsonContext.Default.HelloResult,
                ct: session.Token);

            // The Core has everything up to LastStoredSeq: trim it, and never number a new sample at or below it.
            outbox.Ack(hello.LastStoredSeq);
            outbox.EnsureNextSeqAtLeast(hello.LastStoredSeq + 1);
            _sentUpTo = Math.Max(hello.LastStoredSeq, outbox.AckedSeq);
            var pending = outbox.NextSeq - 1 - _sentUpTo;
            Log.Info($"connected to {settings.Core} as {hello.NodeId} (core {hello.CoreVersion}); {Math.Max(0, pending)} samples to send");

            var heartbeat = HeartbeatLoopAsync(session.Token);
            var sender = SendLoopAsync(session.Token);
            var watcher = SystemInfoLoopAsync(session.Token);
            var first = await Task.WhenAny(receive, heartbeat, sender, watcher);
            var reason = first == receive ? "the Core closed the connection" : await (Task<string>)first;
            await session.CancelAsync();
            await Task.WhenAll(Quiet(heartbeat), Quiet(sender), Quiet(watcher));
            return ct.IsCancellationRequested ? "shutting down" : reason;
        }
        catch (JsonRpcException ex)
        {
            return $"hello refused: {ex.Message}{(ex.ErrorData is null ? "" : $" ({ex.ErrorData})")}";
        }
        catch (Exception ex) when (ex is IOException or WebSocketException)
        {
            return ex.Message;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return "shutting down";
        }
        finally
        {
            if (ct.IsCancellationRequested) await peer.CloseAsync(WebSocketCloseStatus.NormalClosure, "node shutting down", CancellationToken.None);
            else peer.Abort();
            await session.CancelAsync();
            await Quiet(receive);
        }
    }

    /// <summary>What the Core may call on the Node: a map from method name to function.</summary>
    private JsonRpcMethods Handlers(SessionContext context)
    {
        var methods = new JsonRpcMethods()
            .OnRequest(Methods.GetSystemInfo, ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.SystemInfo,
                (_, _) => ValueTask.FromResult(systemInfo.Collect()))
            .OnNotification(Methods.SamplesAck, ProtocolJsonContext.Default.SampleAck, (ack, _) =>
            {
                outbox.Ack(ack.Seq);
                wake.Set(); // the window may have room again
                return ValueTask.CompletedTask;
            });
        foreach (var feature in features) feature.Register(methods, context);
        return methods;
    }

    private async Task<string> HeartbeatLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(ProtocolInfo.HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(ct))
        {
            try
            {
                await _peer.RequestAsync(
                    Methods.Heartbeat,
                    new HeartbeatParams { Time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                    ProtocolJsonContext.Default.HeartbeatParams,
                    ProtocolJsonContext.Default.HeartbeatResult,
                    HeartbeatTimeout,
                    ct);
            }
            catch (JsonRpcException ex) when (ex.Code == JsonRpcErrorCodes.Timeout)
            {
                // No answer in time: the link is probably half-open (NAT dropped it, Core host froze).
                return $"heartbeat unanswered for {HeartbeatTimeout.TotalSeconds:0} s";
            }
            catch (JsonRpcException ex)
            {
                // An error answer still proves the Core is there.
                Log.Debug($"heartbeat answered with error {ex.Code}: {ex.Message}");
            }
            catch (Exception ex) when (ex is IOException or WebSocketException)
            {
                // After the process was frozen, the Core has long reset the connection: the next send fails.
                return ex.Message;
            }
        }

        return "heartbeat stopped";
    }

    private async Task<string> SendLoopAsync(CancellationToken ct)
    {
        var batch = new List<OutboxRecord>();
        var stalledSince = long.MaxValue;
        while (!ct.IsCancellationRequested)
        {
            var inFlight = _sentUpTo - outbox.AckedSeq;
            var room = (int)Math.Max(0, MaxInFlight - inFlight);
            if (room == 0)
            {
                if (stalledSince == long.MaxValue) stalledSince = Environment.TickCount64;
                else if (Environment.TickCount64 - stalledSince > AckStall.TotalMilliseconds)
                    return $"no ack for {AckStall.TotalSeconds:0} s with {inFlight} samples in flight";
                await wake.WaitAsync(TimeSpan.FromSeconds(5), ct);
                continue;
            }

            stalledSince = long.MaxValue;
            batch.Clear();
            if (outbox.Read(_sentUpTo, Math.Min(room, ProtocolValidation.MaxSamplesPerBatch), MaxBatchBytes, batch) == 0)
            {
                // Also wakes on a timer: an ack that trimmed past our position needs no new sample to be noticed.
                await wake.WaitAsync(TimeSpan.FromSeconds(5), ct);
                continue;
            }

            try
            {
                await _peer.NotifyAsync(Methods.Samples, new RawSampleBatch(batch), NodeJsonContext.Default.RawSampleBatch, ct);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException)
            {
                return $"sending samples failed: {ex.Message}";
            }

            _sentUpTo = batch[^1].Seq;
            if (batch.Count > 1) Log.Debug($"sent {batch.Count} samples up to {_sentUpTo}");
        }

        return "stopped";
    }

    private async Task<string> SystemInfoLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(SystemInfoCheck);
        while (await timer.WaitForNextTickAsync(ct))
        {
            SystemInfo info;
            try
            {
                info = systemInfo.Collect();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Log.Warn("reading system info failed", ex);
                continue;
            }

            var json = JsonSerializer.SerializeToUtf8Bytes(info, ProtocolJsonContext.Default.SystemInfo);
            if (json.AsSpan().SequenceEqual(_lastSystemInfo)) continue;
            try
            {
                await _peer.NotifyAsync(Methods.SystemInfoChanged, info, ProtocolJsonContext.Default.SystemInfo, ct);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException)
            {
                return $"sending system info failed: {ex.Message}";
            }

            _lastSystemInfo = json;
            Log.Info("system info changed; sent to the Core");
        }

        return "stopped";
    }

    private static async Task Quiet(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or JsonRpcException)
        {
            // The session is over; how each loop ended no longer matters.
        }
    }
}
