using System.Collections.Frozen;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// One connected Node: answers its requests, stores its samples through the shared writer and
/// acknowledges them once durable. Acks are coalesced: the writer only records the highest stored
/// seq and wakes this session, so a slow socket never holds up the writer.
/// </summary>
public sealed class NodeSession : IAsyncDisposable
{
    private readonly NodeState _node;
    private readonly SampleWriter _writer;
    private readonly ISampleObserver[] _observers;
    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _ackSignal = new(0, 1);
    private long _ackSeq;
    private long _sentAckSeq;
    private volatile bool _helloDone;
    private readonly LimitedLog _problems;
    private long _lastHelloTicks = long.MinValue;
    private long _lastSystemInfoTicks = long.MinValue;

    /// <summary>Requests from one Node that may run at once; more are refused with -32005 (a Node needs a few).</summary>
    public const int MaxConcurrentRequests = 16;

    /// <summary><c>node.hello</c> and <c>node.systemInfo</c> each write to the database: at most one per this interval and session.</summary>
    public static readonly TimeSpan SystemWriteInterval = TimeSpan.FromSeconds(10);

    public NodeSession(NodeState node, WebSocket socket, SampleWriter writer, IServiceScopeFactory scopes, ILogger logger, TimeProvider time,
        IEnumerable<INodeSessionHandlers> features, IEnumerable<ISampleObserver>? observers = null)
    {
        _node = node;
        _observers = [.. observers ?? []];
        _writer = writer;
        _scopes = scopes;
        _logger = logger;
        _time = time;
        var methods = new JsonRpcMethods()
            .OnRequest(Methods.Hello, ProtocolJsonContext.Default.HelloParams, ProtocolJsonContext.Default.HelloResult, HelloAsync)
            .OnRequest(Methods.Heartbeat, ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult,
                (_, _) => ValueTask.FromResult(new HeartbeatResult { Time = _time.GetUtcNow().ToUnixTimeMilliseconds() }))
            .OnNotification(Methods.Samples, ProtocolJsonContext.Default.SampleBatch, SamplesAsync)
            .OnNotification(Methods.SystemInfoChanged, ProtocolJsonContext.Default.SystemInfo, SystemInfoAsync);
        foreach (var feature in features) feature.Register(methods, node);
        _problems = new LimitedLog(time, TimeSpan.FromMinutes(1));
        Peer = new JsonRpcPeer(socket, methods, LogProblem) { MaxConcurrentRequests = MaxConcurrentRequests };
    }

    public JsonRpcPeer Peer { get; }

    public string NodeId => _node.Id;

    /// <summary>True once the Node's hello was accepted: from then on it may be sent requests that depend on its allow list.</summary>
    public bool HelloDone => _helloDone;

    /// <summary>Runs until the connection ends.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var acks = Task.Run(() => SendAcksAsync(Peer.Closed), CancellationToken.None);
        await Peer.RunAsync(ct);
        await acks;
    }

    /// <summary>Asks the Node for fresh system info (used by the API and to prove Core→Node requests).</summary>
    public Task<SystemInfo> GetSystemInfoAsync(CancellationToken ct) =>
        Peer.RequestAsync(Methods.GetSystemInfo, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.SystemInfo, ct: ct);

    public async ValueTask DisposeAsync()
    {
        await Peer.DisposeAsync();
        _ackSignal.Dispose();
    }

    // A Node that keeps sending bad messages must not flood the log: one line a minute, with a count.
    private void LogProblem(string message, Exception? ex)
    {
        if (_problems.ShouldLog(out var suppressed))
            _logger.LogWarning(ex, "Node {Node}: {Message} ({Suppressed} similar problems in the last minute not logged)", _node.Id, message, suppressed);
    }

    /// <summary>Refuses a costly call repeated within <see cref="SystemWriteInterval"/>.</summary>
    private void Pace(ref long lastTicks, string method)
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref lastTicks);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < SystemWriteInterval
            || Interlocked.CompareExchange(ref lastTicks, now, last) != last)
            throw new JsonRpcException(JsonRpcErrorCodes.TooManyRequests, $"{method} at most once every {SystemWriteInterval.TotalSeconds:0} s");
    }

    private async ValueTask<HelloResult> HelloAsync(HelloParams hello, CancellationToken ct)
    {
        if (hello.ProtocolVersion is < ProtocolInfo.MinSupportedVersion or > ProtocolInfo.Version)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.UnsupportedVersion,
                $"protocol version {hello.ProtocolVersion} is not supported; this Core speaks {ProtocolInfo.MinSupportedVersion} to {ProtocolInfo.Version}");
        }

        if (hello.SampleIntervalMs is < 100 or > 3_600_000)
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "sampleIntervalMs must be within 100 to 3600000");

        Pace(ref _lastHelloTicks, Methods.Hello);
        await UpdateSystemAsync(hello.System, hello.AgentVersion, ct);
        _node.Allowed = (hello.Allow ?? []).Where(Capabilities.IsKnown).ToFrozenSet(StringComparer.Ordinal);
        _node.SampleIntervalMs = hello.SampleIntervalMs;
        // Set before publishing, so subscribers that push state to the Node (forward.sync) see a session that said hello.
        _helloDone = true;
        _node.Registry?.Publish(_node);
        _logger.LogInformation("Node {Node} ({Name}) connected from {Address}, agent {Version}", _node.Id, _node.Name, _node.RemoteAddress, hello.AgentVersion);
        return new HelloResult
        {
            ProtocolVersion = ProtocolInfo.Version,
            CoreVersion = AppInfo.Version,
            NodeId = _node.Id,
            LastStoredSeq = _node.LastStoredSeq,
        };
    }

    private async ValueTask SamplesAsync(SampleBatch batch, CancellationToken ct)
    {
        if (!_helloDone) throw new JsonRpcException(JsonRpcErrorCodes.NotAllowed, $"send {Methods.Hello} before {Methods.Samples}");
        if (ProtocolValidation.Validate(batch) is { } error) throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"invalid samples: {error}");
        if (batch.Samples.Count == 0) return;

        _node.Offer(batch.Samples[^1]);
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnSamples(_node, batch.Samples);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // An observer's bug must not cost the Node its samples.
                _logger.LogError(e, "Sample observer {Observer} failed on node {Node}", observer.GetType().Name, _node.Id);
            }
        }

        await _writer.EnqueueAsync(_node.Id, batch.Samples, OnStored, ct);
    }

    private async ValueTask SystemInfoAsync(SystemInfo system, CancellationToken ct)
    {
        if (!_helloDone) throw new JsonRpcException(JsonRpcErrorCodes.NotAllowed, $"send {Methods.Hello} before {Methods.SystemInfoChanged}");
        Pace(ref _lastSystemInfoTicks, Methods.SystemInfoChanged);
        await UpdateSystemAsync(system, _node.AgentVersion, ct);
    }

    private async Task UpdateSystemAsync(SystemInfo system, string agentVersion, CancellationToken ct)
    {
        if (system.Hostname.Length > 255 || system.Os.Length > 255 || system.Kernel.Length > 255 || system.Arch.Length > 32 || agentVersion.Length > 64)
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "system info field too long");

        _node.System = system;
        _node.AgentVersion = agentVersion;
        _node.Os = system.Os;
        _node.Arch = system.Arch;
        var json = JsonSerializer.Serialize(system, ProtocolJsonContext.Default.SystemInfo);
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
        await db.Nodes.Where(n => n.Id == _node.Id).ExecuteUpdateAsync(s => s
            .SetProperty(n => n.SystemInfoJson, json)
            .SetProperty(n => n.AgentVersion, agentVersion)
            .SetProperty(n => n.Os, system.Os)
            .SetProperty(n => n.Arch, system.Arch)
            .SetProperty(n => n.RemoteAddress, _node.RemoteAddress), ct);
    }

    /// <summary>Called by the writer after commit; must stay cheap.</summary>
    private void OnStored(long seq)
    {
        InterlockedMax(ref _ackSeq, seq);
        lock (_node)
        {
            if (seq > _node.LastStoredSeq)
            {
                _node.LastStoredSeq = seq;
                _node.Dirty = true;
            }
        }

        try
        {
            if (_ackSignal.CurrentCount == 0) _ackSignal.Release();
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // Already signalled, or the session ended: the Node learns the seq from hello next time.
        }
    }

    private async Task SendAcksAsync(CancellationToken closed)
    {
        try
        {
            while (!closed.IsCancellationRequested)
            {
                await _ackSignal.WaitAsync(closed);
                var seq = Volatile.Read(ref _ackSeq);
                if (seq <= _sentAckSeq) continue;
                await Peer.NotifyAsync(Methods.SamplesAck, new SampleAck { Seq = seq }, ProtocolJsonContext.Default.SampleAck, closed);
                _sentAckSeq = seq;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // Connection gone.
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
