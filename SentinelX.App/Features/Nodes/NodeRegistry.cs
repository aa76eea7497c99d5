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
            if (Interlocked.CompareExchange(ref _latest, sample, current) == current) return;
        }
    }

    /// <summary>Installs a session and returns the one it replaces (to be closed), if any.</summary>
    public NodeSession? Attach(NodeSession session) => Interlocked.Exchange(ref _session, session);

    /// <summary>Removes the session if it is still the current one.</summary>
    public bool Detach(NodeSession session) => Interlocked.CompareExchange(ref _session, null, session) == session;

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

    public IEnumerable<NodeState> All => _nodes.Values;

    public int Count => _nodes.Count;

    public NodeState? Find(string id) => _nodes.GetValueOrDefault(id);

    public NodeState Add(NodeRecord record) => _nodes[record.Id] = new NodeState(record);

    public bool Remove(string id) => _nodes.TryRemove(id, out _);

    /// <summary>Loads every node with its newest stored sample, so the API has numbers right after a restart.</summary>
    public async Task LoadAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
        var query = scope.ServiceProvider.GetRequiredService<MetricsQuery>();
        foreach (var record in await db.Nodes.AsNoTracking().ToListAsync(ct))
        {
            var state = Add(record);
            state.LastStoredSeq = await query.GetLastStoredSeqAsync(record.Id, ct);
            if (await query.GetLatestAsync(record.Id, ct) is { } latest) state.Offer(latest);
        }
    }
}
