using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Audit;

/// <summary>Filters for reading the audit log; every one is optional.</summary>
public sealed record AuditQuery
{
    public string? NodeId { get; init; }
    public string? Actor { get; init; }

    /// <summary>An exact action ("exec.run") or a prefix ending in a dot ("docker.").</summary>
    public string? Action { get; init; }

    public string? Result { get; init; }

    /// <summary>Unix ms, inclusive.</summary>
    public long? From { get; init; }

    /// <summary>Unix ms, exclusive.</summary>
    public long? To { get; init; }

    /// <summary>Entries with a smaller id only (paging newest first).</summary>
    public long? Before { get; init; }

    public int Limit { get; init; } = 100;
}

/// <summary>
/// Records every control action. A record that cannot be written is logged as an error but never
/// turns a finished action into a failure the user would retry.
/// </summary>
public sealed class AuditLog(IDbContextFactory<SentinelDb> dbFactory, TimeProvider time, ILogger<AuditLog> logger)
{
    public const int MaxTargetLength = 500;
    public const int MaxDetailLength = 1000;
    public const int MaxLimit = 1000;

    /// <summary>Raised after an entry is stored, so an open audit page can refresh.</summary>
    public event Action<AuditEntry>? Recorded;

    public async Task RecordAsync(AuditActor actor, string action, string? nodeId, string target, string result, string? detail = null, CancellationToken ct = default)
    {
        var entry = new AuditEntry
        {
            At = time.GetUtcNow().ToUnixTimeMilliseconds(),
            Actor = Cap(actor.Name, 256),
            ActorKind = actor.Kind,
            Address = actor.Address,
            NodeId = nodeId,
            Action = action,
            Target = Cap(target, MaxTargetLength),
            Result = result,
            Detail = Cap(detail ?? "", MaxDetailLength),
        };
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            db.AuditEntries.Add(entry);
            // Not cancelled with the request: an action that happened is recorded even if the caller left.
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException)
        {
            logger.LogError(ex, "Audit entry not stored: {Actor} {Action} {Node} {Target} {Result}", entry.Actor, action, nodeId, entry.Target, result);
            return;
        }

        logger.LogInformation("Audit: {Actor} ({Kind}, {Address}) {Action} on {Node}: {Target} → {Result} {Detail}",
            entry.Actor, entry.ActorKind, entry.Address, action, nodeId ?? "-", entry.Target, result, entry.Detail);
        Recorded?.Invoke(entry);
    }

    /// <summary>The UI's shortcut: the signed-in user of this circuit and its browser's address.</summary>
    public async Task RecordAsync(AuthenticationStateProvider auth, CircuitClient client, string action, string? nodeId, string target, string result, string? detail = null)
    {
        var user = (await auth.GetAuthenticationStateAsync()).User;
        await RecordAsync(AuditActor.From(user, client.Address), action, nodeId, target, result, detail);
    }

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrEmpty(query.NodeId)) q = q.Where(e => e.NodeId == query.NodeId);
        if (!string.IsNullOrEmpty(query.Actor)) q = q.Where(e => e.Actor == query.Actor);
        if (!string.IsNullOrEmpty(query.Action))
        {
            var action = query.Action;
            q = action.EndsWith('.') ? q.Where(e => e.Action.StartsWith(action)) : q.Where(e => e.Action == action);
        }

        if (!string.IsNullOrEmpty(query.Result)) q = q.Where(e => e.Result == query.Result);
        if (query.From is { } from) q = q.Where(e => e.At >= from);
        if (query.To is { } to) q = q.Where(e => e.At < to);
        if (query.Before is { } before) q = q.Where(e => e.Id < before);
        return await q.OrderByDescending(e => e.Id).Take(Math.Clamp(query.Limit, 1, MaxLimit)).ToListAsync(ct);
    }

    /// <summary>Deletes entries older than <paramref name="cutoff"/> (unix ms); returns how many.</summary>
    public async Task<int> PruneAsync(long cutoff, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AuditEntries.Where(e => e.At < cutoff).ExecuteDeleteAsync(ct);
    }

    private static string Cap(string value, int max) => value.Length <= max ? value : value[..(max - 1)] + "…";
}
