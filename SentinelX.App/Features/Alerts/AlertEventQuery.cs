using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Alerts;

/// <summary>Which events to list: each filter is optional; <see cref="Limit"/> caps the newest ones returned.</summary>
public sealed record AlertEventFilter(string? Rule = null, string? Node = null, string? State = null, string? Severity = null, int Limit = 200)
{
    public const int MaxLimit = 1000;

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (State is not (null or "" or AlertStates.Firing or AlertStates.Resolved)) errors["state"] = ["state must be firing or resolved"];
        if (Severity is { Length: > 0 } && !AlertRule.Severities.Contains(Severity)) errors["severity"] = ["severity must be info, warning or critical"];
        if (Limit is < 1 or > MaxLimit) errors["limit"] = [string.Create(CultureInfo.InvariantCulture, $"limit must be from 1 to {MaxLimit}")];
        if (Rule is { Length: > 64 }) errors["rule"] = ["rule ids are at most 64 characters"];
        if (Node is { Length: > 64 }) errors["node"] = ["node ids are at most 64 characters"];
        return errors;
    }
}

/// <summary>Reads events with their deliveries, for the API and the Alerts page.</summary>
public sealed class AlertEventQuery(IDbContextFactory<SentinelDb> dbFactory, TimeProvider time)
{
    public async Task<List<AlertEventView>> ListAsync(AlertEventFilter filter, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.AlertEvents.AsNoTracking().Include(e => e.Deliveries).AsQueryable();
        if (!string.IsNullOrEmpty(filter.Rule)) query = query.Where(e => e.RuleId == filter.Rule);
        if (!string.IsNullOrEmpty(filter.Node)) query = query.Where(e => e.NodeId == filter.Node);
        if (!string.IsNullOrEmpty(filter.State)) query = query.Where(e => e.State == filter.State);
        if (!string.IsNullOrEmpty(filter.Severity)) query = query.Where(e => e.Severity == filter.Severity);
        var rows = await query.OrderByDescending(e => e.Id).Take(filter.Limit).AsSplitQuery().ToListAsync(ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return [.. rows.Select(e => AlertEventView.From(e, now))];
    }
}
