using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Validation;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// What people may change about a Node. A null field is left as it is (PATCH semantics); an empty
/// string clears it. Tags are a comma-separated list.
/// </summary>
public sealed record NodeChanges
{
    public string? Name { get; init; }
    public string? Tags { get; init; }
    public string? GroupName { get; init; }
    public string? Region { get; init; }
    public string? Notes { get; init; }
    public int? TrafficResetDay { get; init; }

    /// <summary>Monthly traffic quota in bytes; 0 removes it.</summary>
    public long? TrafficQuotaBytes { get; init; }

    /// <summary>Replaces the whole billing record when present.</summary>
    public BillingChanges? Billing { get; init; }

    public const int MaxTags = 20;
    public const int MaxTagLength = 32;
    public const int MaxGroupLength = 64;
    public const int MaxNotesLength = 2000;

    /// <summary>Problems by field name (camelCase, as the API spells them); empty when the changes are fine.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (Name is not null && ProtocolValidation.ValidateName(Name.Trim()) is { } nameError) errors["name"] = [nameError];
        if (Tags is not null)
        {
            var tags = NodeState.SplitTags(Tags);
            if (tags.Count > MaxTags) errors["tags"] = [$"at most {MaxTags} tags"];
            else if (tags.Any(t => t.Length > MaxTagLength || t.Any(char.IsControl))) errors["tags"] = [$"a tag must be 1 to {MaxTagLength} characters without control characters"];
        }

        if (GroupName is not null && (GroupName.Trim().Length > MaxGroupLength || GroupName.Any(char.IsControl)))
            errors["groupName"] = [$"group must be at most {MaxGroupLength} characters without control characters"];
        if (Region is not null && !IsRegion(Region.Trim()))
            errors["region"] = ["region must be a two-letter ISO 3166 country code such as DE or JP, or empty"];
        if (Notes is not null && Notes.Length > MaxNotesLength) errors["notes"] = [$"notes must be at most {MaxNotesLength} characters"];
        if (TrafficResetDay is < 1 or > 28) errors["trafficResetDay"] = ["trafficResetDay must be between 1 and 28"];
        if (TrafficQuotaBytes is < 0 or > 1L << 60) errors["trafficQuotaBytes"] = ["trafficQuotaBytes must be from 0 (no quota) to 2^60"];
        Billing?.Validate(errors);
        return errors;
    }

    private static bool IsRegion(string region) =>
        region.Length == 0 || (region.Length == 2 && region.All(char.IsAsciiLetter));
}

/// <summary>Edits and removes Nodes: the database row and the live <see cref="NodeState"/> together.</summary>
public sealed class NodeEditor(IDbContextFactory<SentinelDb> dbFactory, NodeRegistry registry, SampleWriter writer, TimeProvider time, AuditLog audit,
    ILogger<NodeEditor> logger)
{
    /// <summary>Applies valid <paramref name="changes"/> (call <see cref="NodeChanges.Validate"/> first) and tells subscribers.</summary>
    public async Task UpdateAsync(NodeState node, NodeChanges changes, AuditActor actor, CancellationToken ct)
    {
        var before = node.Name;
        var name = changes.Name?.Trim() ?? node.Name;
        var tags = changes.Tags is null ? node.Tags : NodeState.SplitTags(changes.Tags);
        var group = changes.GroupName?.Trim() ?? node.GroupName;
        var region = changes.Region?.Trim().ToUpperInvariant() ?? node.Region;
        var notes = changes.Notes ?? node.Notes;
        var resetDay = changes.TrafficResetDay ?? node.TrafficResetDay;
        var joinedTags = string.Join(',', tags);
        var quota = changes.TrafficQuotaBytes is { } q ? (q > 0 ? q : (long?)null) : node.TrafficQuotaBytes;
        var billing = changes.Billing?.ToBilling() ?? node.Billing;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Nodes.Where(n => n.Id == node.Id).ExecuteUpdateAsync(s => s
            .SetProperty(n => n.Name, name)
            .SetProperty(n => n.Tags, joinedTags)
            .SetProperty(n => n.GroupName, group)
            .SetProperty(n => n.Region, region)
            .SetProperty(n => n.Notes, notes)
            .SetProperty(n => n.TrafficResetDay, resetDay)
            .SetProperty(n => n.TrafficQuotaBytes, quota)
            .SetProperty(n => n.BillingPrice, billing.Price)
            .SetProperty(n => n.BillingCurrency, billing.Currency)
            .SetProperty(n => n.BillingCycle, billing.Cycle)
            .SetProperty(n => n.ExpiresAt, billing.ExpiresAt)
            .SetProperty(n => n.AutoRenew, billing.AutoRenew), ct);

        node.Name = name;
        node.Tags = tags;
        node.GroupName = group;
        node.Region = region;
        node.Notes = notes;
        node.TrafficResetDay = resetDay;
        node.TrafficQuotaBytes = quota;
        node.Billing = billing;
        registry.Publish(node);
        logger.LogInformation("Node {Node} edited: name {Name}, tags {Tags}, group {Group}, region {Region}", node.Id, name, joinedTags, group, region);
        await audit.RecordAsync(actor, AuditActions.NodeUpdate, node.Id, before, AuditResults.Ok, Describe(changes), ct);
    }

    /// <summary>
    /// Forgets a Node: refuses it from now on (410), disconnects it, and deletes its record, samples
    /// and rollups. The Node keeps running but is told it was removed; reinstalling enrolls it afresh.
    /// </summary>
    public async Task RemoveAsync(NodeState node, AuditActor actor, CancellationToken ct)
    {
        await audit.RecordAsync(actor, AuditActions.NodeRemove, node.Id, node.Name, AuditResults.Ok, null, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.NodeTombstones.AnyAsync(t => t.NodeId == node.Id, ct))
        {
            db.NodeTombstones.Add(new NodeTombstone { NodeId = node.Id, Name = node.Name, RemovedAt = now });
            await db.SaveChangesAsync(ct);
        }

        registry.Remove(node.Id, removed: true);
        if (node.Session is { } session)
        {
            // Samples arrive as notifications handled inside the session's receive loop: once the
            // loop has ended (Closed), the session queues no more of them.
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (session.Peer.Closed.Register(() => ended.TrySetResult()))
            {
                session.Peer.Abort();
                await ended.Task.WaitAsync(ct);
            }
        }

        // Whatever this Node's sessions queued before is now committed, so none of it outlives the delete.
        await writer.FlushAsync(ct);

        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            await db.Samples.Where(s => s.NodeId == node.Id).ExecuteDeleteAsync(ct);
            await db.MinuteRollups.Where(r => r.NodeId == node.Id).ExecuteDeleteAsync(ct);
            await db.HourRollups.Where(r => r.NodeId == node.Id).ExecuteDeleteAsync(ct);
            await db.DirtyHours.Where(d => d.NodeId == node.Id).ExecuteDeleteAsync(ct);
            await db.Nodes.Where(n => n.Id == node.Id).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
        }

        logger.LogWarning("Node {Node} ({Name}) removed with its metrics", node.Id, node.Name);
    }

    /// <summary>"name=web-2, tags=prod,hk": the fields a change set touches (notes by length only).</summary>
    internal static string Describe(NodeChanges c)
    {
        var parts = new List<string>();
        if (c.Name is not null) parts.Add("name=" + c.Name.Trim());
        if (c.Tags is not null) parts.Add("tags=" + c.Tags);
        if (c.GroupName is not null) parts.Add("group=" + c.GroupName.Trim());
        if (c.Region is not null) parts.Add("region=" + c.Region.Trim());
        if (c.Notes is not null) parts.Add($"notes ({c.Notes.Length} characters)");
        if (c.TrafficResetDay is { } day) parts.Add("trafficResetDay=" + day.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (c.TrafficQuotaBytes is { } quota) parts.Add("trafficQuotaBytes=" + quota.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (c.Billing is { } b) parts.Add($"billing={b.Price?.ToString(System.Globalization.CultureInfo.InvariantCulture)} {b.Currency} {b.Cycle} expires {b.ExpiresAt} autoRenew={b.AutoRenew}");
        return string.Join(", ", parts);
    }

    /// <summary>Ids of removed Nodes, for <see cref="NodeRegistry.LoadAsync"/>.</summary>
    internal static Task<List<string>> LoadRemovedIdsAsync(SentinelDb db, CancellationToken ct) =>
        db.NodeTombstones.AsNoTracking().Select(t => t.NodeId).ToListAsync(ct);
}
