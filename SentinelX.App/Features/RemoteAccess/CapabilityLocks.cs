using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.RemoteAccess;

/// <summary>
/// The two locks on every capability: the Core's switch per Node (off until an admin turns it on)
/// and the Node's own allow list. Every remote operation asks <see cref="Check"/> before it sends
/// anything; the Node checks its own list again when the request arrives.
/// </summary>
public sealed class CapabilityLocks(NodeRegistry registry, IDbContextFactory<SentinelDb> dbFactory, AuditLog audit)
{
    public const string CoreLock = "core";
    public const string NodeLock = "node";
    public const string Offline = "offline";

    /// <summary>
    /// Null when <paramref name="capability"/> may be used on <paramref name="node"/> now. A server
    /// whose own config forbids it is named first: turning the Core's switch on would not help there.
    /// </summary>
    public static NodeFailure? Check(NodeState node, string capability)
    {
        var nodeForbids = node.Allowed is { } allowed && !allowed.Contains(capability);
        if (!nodeForbids && !node.Enabled.Contains(capability))
        {
            return new NodeFailure(NodeFailureKind.CoreLock, $"{capability} is turned off for this node",
                $"{capability} is off on node {node.Name} ({node.Id}); an admin can turn it on on the node's page or with PUT /api/v1/nodes/{node.Id}/capabilities");
        }

        if (!nodeForbids && !node.Online) return NodeFailure.Offline(node);

        // Not reported (an older Node, or not connected since the Core started) counts as forbidden.
        if (nodeForbids || node.Allowed is null)
        {
            return new NodeFailure(NodeFailureKind.NodeLock, $"{capability} is not allowed by the server's own config",
                $"node {node.Name} ({node.Id}) does not allow {capability} in its own config (\"allow\" in /etc/sentinelx/node.toml, or installed with --monitor-only); only someone with access to that server can change it");
        }

        return null;
    }

    /// <summary>
    /// Turns capabilities on or off for one Node (only the ones named change) and records it.
    /// Returns the new set, or null when the Node does not exist.
    /// </summary>
    public async Task<IReadOnlySet<string>?> SetAsync(string nodeId, IReadOnlyDictionary<string, bool> changes, AuditActor actor, CancellationToken ct = default)
    {
        if (registry.Find(nodeId) is not { } node) return null;
        var enabled = new HashSet<string>(node.Enabled, StringComparer.Ordinal);
        foreach (var (name, on) in changes)
        {
            if (on) enabled.Add(name);
            else enabled.Remove(name);
        }

        var stored = string.Join(',', Capabilities.All.Where(enabled.Contains));
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Nodes.Where(n => n.Id == nodeId).ExecuteUpdateAsync(s => s.SetProperty(n => n.Capabilities, stored), ct) == 0) return null;
        }

        var before = node.Enabled;
        node.Enabled = EnabledCapabilities.Parse(stored);
        registry.Publish(node);
        var changed = changes.Where(c => before.Contains(c.Key) != c.Value).Select(c => $"{c.Key} {(c.Value ? "on" : "off")}").ToList();
        await audit.RecordAsync(actor, AuditActions.CapabilitySet, nodeId, changed.Count == 0 ? "no change" : string.Join(", ", changed), AuditResults.Ok, "enabled: " + (stored.Length == 0 ? "none" : stored), ct);
        return node.Enabled;
    }
}
