using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Alerts;

/// <summary>A rule as the API shows it.</summary>
public sealed record AlertRuleView(
    string Id, string Name, bool Enabled, JsonObject Scope, JsonObject Condition, string Severity, IReadOnlyList<string> Channels,
    int RepeatMinutes, bool Muted, DateTimeOffset? MutedUntil, int Firing, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Creates, changes and deletes rules: the row, the engine's copy and the audit entry together.</summary>
public sealed class AlertRules(IDbContextFactory<SentinelDb> dbFactory, AlertEngine engine, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<AlertRuleView>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.AlertRules.AsNoTracking().OrderBy(r => r.Name).ThenBy(r => r.Id).ToListAsync(ct);
        var firing = engine.FiringCounts();
        return [.. rows.Select(r => ToView(r, firing))];
    }

    public async Task<AlertRuleView?> GetAsync(string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertRules.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        return row is null ? null : ToView(row, engine.FiringCounts());
    }

    /// <summary>Channels and probes a rule can name, for the rule dialog.</summary>
    public async Task<(List<(string Id, string Name)> Channels, List<(string Id, string Name)> Probes)> ChoicesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var channels = await db.AlertChannels.AsNoTracking().OrderBy(c => c.Name).Select(c => new { c.Id, c.Name }).ToListAsync(ct);
        var probes = await db.Probes.AsNoTracking().OrderBy(p => p.Name).Select(p => new { p.Id, p.Name }).ToListAsync(ct);
        return ([.. channels.Select(c => (c.Id, c.Name))], [.. probes.Select(p => (p.Id, p.Name))]);
    }

    /// <summary>Channel ids in <paramref name="input"/> that do not exist; empty when all do.</summary>
    public async Task<IReadOnlyList<string>> UnknownChannelsAsync(AlertRuleInput input, CancellationToken ct)
    {
        if (input.Channels.Count == 0) return [];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var known = await db.AlertChannels.AsNoTracking().Where(c => input.Channels.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct);
        return [.. input.Channels.Except(known, StringComparer.Ordinal)];
    }

    public async Task<AlertRuleView> CreateAsync(AlertRuleInput input, AuditActor actor, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new AlertRuleRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Name = input.Name,
            ScopeJson = "",
            ConditionJson = "",
            Severity = input.Severity,
            CreatedAt = now,
        };
        Apply(row, input, now);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.AlertRules.Add(row);
            await db.SaveChangesAsync(ct);
        }

        engine.Put(AlertRule.From(row));
        await audit.RecordAsync(actor, AuditActions.AlertRuleCreate, null, row.Name, AuditResults.Ok, $"{row.Id}: {row.ConditionJson}", ct);
        return ToView(row, engine.FiringCounts());
    }

    public async Task<AlertRuleView?> UpdateAsync(string id, AlertRuleInput input, AuditActor actor, CancellationToken ct)
    {
        AlertRuleRecord? row;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            row = await db.AlertRules.FirstOrDefaultAsync(r => r.Id == id, ct);
            if (row is null) return null;
            Apply(row, input, time.GetUtcNow().ToUnixTimeMilliseconds());
            await db.SaveChangesAsync(ct);
        }

        engine.Put(AlertRule.From(row));
        await audit.RecordAsync(actor, AuditActions.AlertRuleUpdate, null, row.Name, AuditResults.Ok, $"{row.Id}: {row.ConditionJson}", ct);
        return ToView(row, engine.FiringCounts());
    }

    public async Task<bool> DeleteAsync(string id, AuditActor actor, CancellationToken ct)
    {
        string name;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var row = await db.AlertRules.FirstOrDefaultAsync(r => r.Id == id, ct);
            if (row is null) return false;
            name = row.Name;
            db.AlertRules.Remove(row);
            await db.SaveChangesAsync(ct);
        }

        engine.Remove(id);
        await audit.RecordAsync(actor, AuditActions.AlertRuleDelete, null, name, AuditResults.Ok, id, ct);
        return true;
    }

    private static void Apply(AlertRuleRecord row, AlertRuleInput input, long now)
    {
        row.Name = input.Name;
        row.Enabled = input.Enabled;
        row.ScopeJson = input.Scope.ToJson().ToJsonString();
        row.ConditionJson = input.Condition.ToJson().ToJsonString();
        row.Severity = input.Severity;
        row.Channels = string.Join(',', input.Channels);
        row.RepeatMinutes = input.RepeatMinutes;
        row.Muted = input.Muted;
        row.MutedUntil = input.Muted ? input.MutedUntil?.ToUnixTimeMilliseconds() : null;
        row.UpdatedAt = now;
    }

    private static AlertRuleView ToView(AlertRuleRecord r, IReadOnlyDictionary<string, int> firing)
    {
        var rule = AlertRule.From(r);
        return new AlertRuleView(r.Id, r.Name, r.Enabled, rule.Scope.ToJson(), rule.Condition.ToJson(), r.Severity, rule.Channels,
            r.RepeatMinutes, r.Muted, rule.MutedUntil, firing.GetValueOrDefault(r.Id),
            DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt));
    }
}

/// <summary>A maintenance window as the API shows it.</summary>
public sealed record AlertSilenceView(string Id, string? NodeId, string? RuleId, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string Reason, string CreatedBy);

/// <summary>
/// Maintenance windows, kept in memory (there are few) so every notification can ask whether it is
/// silenced without a query.
/// </summary>
public sealed class AlertSilences(IDbContextFactory<SentinelDb> dbFactory, AuditLog audit, TimeProvider time)
{
    private volatile AlertSilenceRecord[] _all = [];

    public async Task LoadAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        _all = [.. await db.AlertSilences.AsNoTracking().Where(s => s.EndsAt > now).ToListAsync(ct)];
    }

    public bool Covers(string nodeId, string ruleId, DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        foreach (var s in _all)
        {
            if (s.StartsAt <= ms && s.EndsAt > ms && (s.NodeId is null || s.NodeId == nodeId) && (s.RuleId is null || s.RuleId == ruleId))
                return true;
        }

        return false;
    }

    public IReadOnlyList<AlertSilenceView> Active()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return [.. _all.Where(s => s.EndsAt > now).OrderBy(s => s.EndsAt).Select(ToView)];
    }

    public async Task<AlertSilenceView> CreateAsync(string? nodeId, string? ruleId, DateTimeOffset? startsAt, DateTimeOffset endsAt, string reason, AuditActor actor, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new AlertSilenceRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            NodeId = nodeId,
            RuleId = ruleId,
            StartsAt = startsAt?.ToUnixTimeMilliseconds() ?? now,
            EndsAt = endsAt.ToUnixTimeMilliseconds(),
            Reason = reason,
            CreatedBy = actor.Name,
            CreatedAt = now,
        };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.AlertSilences.Add(row);
            await db.SaveChangesAsync(ct);
        }

        _all = [.. _all.Where(s => s.EndsAt > now), row];
        await audit.RecordAsync(actor, AuditActions.AlertSilenceCreate, nodeId, reason.Length > 0 ? reason : row.Id, AuditResults.Ok,
            $"node={nodeId ?? "*"} rule={ruleId ?? "*"} until {endsAt:O}", ct);
        return ToView(row);
    }

    public async Task<bool> DeleteAsync(string id, AuditActor actor, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deleted = await db.AlertSilences.Where(s => s.Id == id).ExecuteDeleteAsync(ct);
        if (deleted == 0) return false;
        _all = [.. _all.Where(s => s.Id != id)];
        await audit.RecordAsync(actor, AuditActions.AlertSilenceDelete, null, id, AuditResults.Ok, null, ct);
        return true;
    }

    private static AlertSilenceView ToView(AlertSilenceRecord s) => new(
        s.Id, s.NodeId, s.RuleId, DateTimeOffset.FromUnixTimeMilliseconds(s.StartsAt), DateTimeOffset.FromUnixTimeMilliseconds(s.EndsAt), s.Reason, s.CreatedBy);
}
