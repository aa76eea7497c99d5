using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Nodes;

/// <summary>A Node as the Core knows it right now: identity from the database plus live state in memory.</summary>
public sealed class NodeState(NodeRecord record)
{
    private MetricSample? _latest;
    private NodeSession? _session;

    public string Id { get; } = record.Id;
    public string MachineId { get; } = record.MachineId;
    public string Name { get; set; } = record.Name;
    public string SecretHash { get; set; } = record.SecretHash;
    public bool Revoked { get; set; } = record.Revoked;
    public long CreatedAt { get; } = record.CreatedAt;
    public string AgentVersion { get; set; } = record.AgentVersion;
    public string Os { get; set; } = record.Os;
    public string Arch { get; set; } = record.Arch;
    public string? RemoteAddress { get; set; } = record.RemoteAddress;
    public SystemInfo? System { get; set; } = Deserialize(record.SystemInfoJson);
    public long LastSeenAt { get; set; } = record.LastSeenAt;

    // What people edit in the UI (see NodeRecord for meanings).
    public IReadOnlyList<string> Tags { get; set; } = SplitTags(record.Tags);
    public string GroupName { get; set; } = record.GroupName;
    public string Region { get; set; } = record.Region;
    public string Notes { get; set; } = record.Notes;
    public int TrafficResetDay { get; set; } = record.TrafficResetDay;
    public long? TrafficQuotaBytes { get; set; } = record.TrafficQuotaBytes;
    public NodeBilling Billing { get; set; } = NodeBilling.From(record);

    /// <summary>Unix ms the paid period ends, when known.</summary>
    public long? ExpiresAt => Billing.ExpiresAt;

    /// <summary>The Core's lock: capabilities an admin turned on (see <see cref="NodeRecord.Capabilities"/>).</summary>
    public IReadOnlySet<string> Enabled { get; set; } = EnabledCapabilities.Parse(record.Capabilities);

    /// <summary>
    /// The Node's lock: what its own config allows, as its last hello said; null until it has said
    /// (an older Node, or not connected since the Core started), which counts as nothing allowed.
    /// </summary>
    public IReadOnlySet<string>? Allowed { get; set; }

    /// <summary>Milliseconds between samples, as its last hello said; null until it has said since the Core started.</summary>
    public int? SampleIntervalMs { get; set; }

    /// <summary>Set by the registry, so every change reaches <see cref="NodeRegistry.Changed"/>.</summary>
    internal NodeRegistry? Registry { get; set; }

    /// <summary>Highest seq the Core has stored for this node.</summary>
    public long LastStoredSeq { get; set; } = record.LastSeq;

    /// <summary>Set when last-seen or last-seq changed since the last flush to the database.</summary>
    public bool Dirty { get; set; }

    public MetricSample? Latest => Volatile.Read(ref _latest);
    public NodeSession? Session => Volatile.Read(ref _session);
    public bool Online => Session is not null;

    /// <summary>Keeps the newest sample: replayed old samples never replace a fresher one.</summary>
    public void Offer(MetricSample sample)
    {
        while (true)
        {
            var current = Latest;
            if (current is not null && current.Timestamp >= sample.Timestamp) return;
            if (Interlocked.CompareExchange(ref _latest, sample, current) == current)
            {
                Registry?.Publish(this);
                return;
            }
        }
    }

    /// <summary>Installs a session and returns the one it replaces (to be closed), if any.</summary>
    public NodeSession? Attach(NodeSession session)
    {
        var previous = Interlocked.Exchange(ref _session, session);
        Registry?.Publish(this);
        return previous;
    }

    /// <summary>Removes the session if it is still the current one.</summary>
    public bool Detach(NodeSession session)
    {
        var detached = Interlocked.CompareExchange(ref _session, null, session) == session;
        if (detached) Registry?.Publish(this);
        return detached;
    }

    /// <summary>"a, b,,c" → ["a", "b", "c"]: trimmed, no empties, no duplicates, order kept.</summary>
    public static IReadOnlyList<string> SplitTags(string tags) =>
        tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();

    private static SystemInfo? Deserialize(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.SystemInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Every Node, by id, loaded once at start and kept current by enrollment and sessions.</summary>
public sealed class NodeRegistry
{
    private readonly ConcurrentDictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _removed = new(StringComparer.Ordinal);

    public IEnumerable<NodeState> All => _nodes.Values;

    public int Count => _nodes.Count;

    public NodeState? Find(string id) => _nodes.GetValueOrDefault(id);

    /// <summary>
    /// Raised after a Node's newest sample, connection or details change, or it is added or removed
    /// (then it is no longer in <see cref="All"/>). Runs on the caller's thread: handlers only mark
    /// themselves dirty or post work elsewhere.
    /// </summary>
    public event Action<NodeState>? Changed
    {
        add { if (value is not null) lock (_handlersLock) _handlers = [.. _handlers, value]; }
        remove
        {
            lock (_handlersLock)
            {
                var i = value is null ? -1 : Array.LastIndexOf(_handlers, value);
                if (i >= 0) _handlers = [.. _handlers[..i], .. _handlers[(i + 1)..]];
            }
        }
    }

    // Copy-on-write, so publishing (once per sample) reads one array and allocates nothing.
    private readonly Lock _handlersLock = new();
    private volatile Action<NodeState>[] _handlers = [];

    public NodeState Add(NodeRecord record)
    {
        var state = new NodeState(record) { Registry = this };
        _nodes[record.Id] = state;
        Publish(state);
        return state;
    }

    /// <summary>True for the id of a Node an administrator removed (see <see cref="NodeEditor.RemoveAsync"/>).</summary>
    public bool IsRemoved(string id) => _removed.ContainsKey(id);

    public bool Remove(string id, bool removed = false)
    {
        if (removed) _removed[id] = true;
        if (!_nodes.TryRemove(id, out var state)) return false;
        state.Registry = null;
        Publish(state);
        return true;
    }

    /// <summary>Tells subscribers that <paramref name="node"/> changed (e.g. after an edit).</summary>
    public void Publish(NodeState node)
    {
        foreach (var handler in _handlers)
        {
            try
            {
                handler(node);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One broken subscriber (say, a closed browser tab) must not stop sample ingest.
            }
        }
    }

    /// <summary>Loads every node with its newest stored sample, so the API has numbers right after a restart.</summary>
    public async Task LoadAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
        var query = scope.ServiceProvider.GetRequiredService<MetricsQuery>();
        foreach (var id in await NodeEditor.LoadRemovedIdsAsync(db, ct)) _removed[id] = true;
        foreach (var record in await db.Nodes.AsNoTracking().ToListAsync(ct))
        {
            var state = Add(record);
            state.LastStoredSeq = await query.GetLastStoredSeqAsync(record.Id, ct);
            if (await query.GetLatestAsync(record.Id, ct) is { } latest) state.Offer(latest);
        }
    }
}
