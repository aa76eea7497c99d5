using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>Forwarding rules: validation, storage, pushing them to their Nodes and collecting their counters.</summary>
/// <remarks>
/// Edits are serialized (a port check and the insert it allows must not interleave with another
/// edit). After every edit each affected Node gets its whole set again; the entry's answer is
/// awaited so a port held by another process is refused with the Node's exact message.
/// </remarks>
public sealed class ForwardService : INodeSessionHandlers, IDisposable
{
    private readonly NodeRegistry _registry;
    private readonly IDbContextFactory<SentinelDb> _dbFactory;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ForwardLive _live;
    private readonly ForwardValidator _validator;
    private readonly ForwardPusher _pusher;
    private readonly ForwardStatsIngest _ingest;
    private readonly ForwardTrafficStore _traffic;
    private readonly ForwardNodeWatch _watch;
    private readonly SemaphoreSlim _edit = new(1, 1);

    public ForwardService(NodeRegistry registry, IDbContextFactory<SentinelDb> dbFactory, AuditLog audit, TimeProvider time, ForwardLive live,
        ForwardValidator validator, ForwardPusher pusher, ForwardStatsIngest ingest, ForwardTrafficStore traffic)
    {
        _registry = registry;
        _dbFactory = dbFactory;
        _audit = audit;
        _time = time;
        _live = live;
        _validator = validator;
        _pusher = pusher;
        _ingest = ingest;
        _traffic = traffic;
        _watch = new ForwardNodeWatch(registry, live, pusher, OnChanged);
    }

    /// <summary>Raised when any rule, status or counter changed (about every few seconds while traffic flows).</summary>
    public event Action? Changed;

    /// <summary>Loads the stored rules and starts following Node connections; called once at start.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await EnsureLoadedAsync(ct);
        _watch.Start();
    }

    public void Register(JsonRpcMethods methods, NodeState node) => methods
        .OnNotification(Methods.ForwardStats, ProtocolJsonContext.Default.ForwardStatsReport, async (report, ct) =>
        {
            // A Node reports at most what it may run; more is ignored rather than trusted.
            var placements = report.Placements.Count > ForwardLimits.MaxPlacementsPerNode ? report.Placements.Take(ForwardLimits.MaxPlacementsPerNode).ToList() : report.Placements;
            if (await _ingest.IngestAsync(node, placements, ct)) OnChanged();
        });

    public async Task<IReadOnlyList<ForwardView>> ListAsync(CancellationToken ct = default)
    {
        await EnsureLoadedAsync(ct);
        var rules = _live.Rules().OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        if (rules.Count == 0) return [];
        var now = _time.GetUtcNow();
        var starts = rules.ToDictionary(r => r.Id, r => ForwardPeriods.Start(now, r.ResetDay).ToUnixTimeMilliseconds());
        var days = await _traffic.DaysAsync(starts.Values.Min(), ct);
        return [.. rules.Select(rule =>
        {
            var month = days.GetValueOrDefault(rule.Id)?.Where(d => d.Day >= starts[rule.Id]).ToList() ?? [];
            return ToView(rule, month.Sum(d => d.In), month.Sum(d => d.Out));
        })];
    }

    public async Task<ForwardView?> GetAsync(string id, CancellationToken ct = default)
    {
        await EnsureLoadedAsync(ct);
        if (_live.Find(id) is not { } rule) return null;
        var start = ForwardPeriods.Start(_time.GetUtcNow(), rule.ResetDay).ToUnixTimeMilliseconds();
        var (bytesIn, bytesOut) = await _traffic.SumAsync(id, start, long.MaxValue, ct);
        return ToView(rule, bytesIn, bytesOut);
    }

    public async Task<NodeResult<ForwardView>> CreateAsync(ForwardInput input, AuditActor actor, CancellationToken ct = default)
    {
        await EnsureLoadedAsync(ct);
        await _edit.WaitAsync(ct);
        try
        {
            var validated = _validator.Validate(input, NewId(), null, _live.Rules());
            if ((validated.Failure ?? CheckLocks(validated.Value!)) is { } problem)
            {
                await AuditAsync(actor, ForwardAudit.Create, input.NodeId, input.Name, AuditResults.Refused, problem, ct);
                return problem;
            }

            var rule = validated.Value!;
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            rule.CreatedAt = rule.UpdatedAt = now;
            rule.CreatedBy = rule.UpdatedBy = actor.Name;
            await using (var db = await _dbFactory.CreateDbContextAsync(ct))
            {
                db.ForwardRules.Add(rule);
                await db.SaveChangesAsync(ct);
            }

            _live.Put(rule);
            if (await PushAsync(rule, rule.NodeIds()) is { } bindError)
            {
                await DeleteStoredAsync(rule.Id);
                _ = _pusher.SyncAllAsync(rule.NodeIds());
                var refused = Refused(bindError);
                await AuditAsync(actor, ForwardAudit.Create, rule.NodeId, rule.Name, AuditResults.Refused, refused, ct);
                OnChanged();
                return refused;
            }

            await _audit.RecordAsync(actor, ForwardAudit.Create, rule.NodeId, rule.Name, AuditResults.Ok, Describe(rule), ct);
            OnChanged();
            return (await GetAsync(rule.Id, ct))!;
        }
        finally
        {
            _edit.Release();
        }
    }

    public async Task<NodeResult<ForwardView>> UpdateAsync(string id, ForwardInput input, AuditActor actor, CancellationToken ct = default)
    {
        await EnsureLoadedAsync(ct);
        await _edit.WaitAsync(ct);
        try
        {
            if (_live.Find(id) is not { } old) return NotFound(id);
            var validated = _validator.Validate(input, id, old, _live.Rules());
            if ((validated.Failure ?? CheckLocks(validated.Value!)) is { } problem)
            {
                await AuditAsync(actor, ForwardAudit.Update, old.NodeId, old.Name, AuditResults.Refused, problem, ct);
                return problem;
            }

            var rule = validated.Value!;
            rule.UpdatedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
            rule.UpdatedBy = actor.Name;
            await SaveSettingsAsync(rule, ct);
            _live.Put(rule);
            var nodes = old.NodeIds().Concat(rule.NodeIds()).Distinct(StringComparer.Ordinal).ToList();
            if (await PushAsync(rule, nodes) is { } bindError)
            {
                await SaveSettingsAsync(old, CancellationToken.None);
                _live.Put(old);
                _ = _pusher.SyncAllAsync(nodes);
                var refused = Refused(bindError);
                await AuditAsync(actor, ForwardAudit.Update, old.NodeId, old.Name, AuditResults.Refused, refused, ct);
                OnChanged();
                return refused;
            }

            await _audit.RecordAsync(actor, ForwardAudit.Update, rule.NodeId, rule.Name, AuditResults.Ok, Describe(rule), ct);
            OnChanged();
            return (await GetAsync(rule.Id, ct))!;
        }
        finally
        {
            _edit.Release();
        }
    }

    public async Task<NodeFailure?> DeleteAsync(string id, AuditActor actor, CancellationToken ct = default)
    {
        await EnsureLoadedAsync(ct);
        await _edit.WaitAsync(ct);
        try
        {
            if (_live.Find(id) is not { } rule) return NotFound(id);
            await DeleteStoredAsync(id);
            await _audit.RecordAsync(actor, ForwardAudit.Delete, rule.NodeId, rule.Name, AuditResults.Ok, Describe(rule), ct);
            // Not awaited: an offline Node learns of the deletion when it says hello again.
            _ = _pusher.SyncAllAsync(rule.NodeIds()).ContinueWith(_ => OnChanged(), TaskScheduler.Default);
            OnChanged();
            return null;
        }
        finally
        {
            _edit.Release();
        }
    }

    /// <summary>Traffic of the last <paramref name="range"/> in buckets sized for about 300 points.</summary>
    public async Task<ForwardHistory?> HistoryAsync(string id, TimeSpan range, CancellationToken ct = default)
    {
        await EnsureLoadedAsync(ct);
        if (_live.Find(id) is null) return null;
        // One-minute buckets cover a day; longer ranges read the hourly ones.
        var hourly = range > TimeSpan.FromDays(1);
        var bucket = ForwardPeriods.BucketMs(range, hourly);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var to = ForwardPeriods.Floor(now, bucket) + bucket;
        var from = ForwardPeriods.Floor(now - (long)range.TotalMilliseconds, bucket) + bucket;
        var points = await _traffic.HistoryAsync(id, from, to, bucket, hourly, ct);
        return new ForwardHistory(id, (int)(bucket / 1000), points);
    }

    /// <summary>Up to <paramref name="count"/> monthly totals, newest first.</summary>
    public async Task<IReadOnlyList<ForwardMonth>> MonthsAsync(string id, int count, CancellationToken ct = default)
    {
        await EnsureLoadedAsync(ct);
        if (_live.Find(id) is not { } rule) return [];
        var months = new List<ForwardMonth>();
        foreach (var (start, end) in ForwardPeriods.Recent(_time.GetUtcNow(), rule.ResetDay, Math.Clamp(count, 1, 24)))
        {
            var (bytesIn, bytesOut) = await _traffic.SumAsync(id, start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds(), ct);
            months.Add(new ForwardMonth(start.ToUnixTimeMilliseconds(), bytesIn, bytesOut));
        }

        return months;
    }

    private void OnChanged() => Changed?.Invoke();

    private async Task EnsureLoadedAsync(CancellationToken ct)
    {
        if (_live.Loaded) return;
        await _edit.WaitAsync(ct);
        try
        {
            if (_live.Loaded) return;
            await using var db = await _dbFactory.CreateDbContextAsync(ct);
            _live.Load(await db.ForwardRules.AsNoTracking().ToListAsync(ct));
        }
        finally
        {
            _edit.Release();
        }
    }

    /// <summary>Every Node of the rule must allow forwarding on both locks; an offline Node is fine (the rule waits for it).</summary>
    private NodeFailure? CheckLocks(ForwardRule rule)
    {
        foreach (var nodeId in rule.NodeIds())
        {
            if (_registry.Find(nodeId) is not { } node) continue;
            if (CapabilityLocks.Check(node, Capabilities.Forward) is { Kind: not NodeFailureKind.Offline } refusal) return refusal;
        }

        return null;
    }

    /// <summary>A port another process holds, or what the entry Node's owner does not allow (a target, a kernel-mode port).</summary>
    private static NodeFailure Refused(string error)
    {
        if (error.Contains(ForwardRefusals.TargetPolicy, StringComparison.Ordinal))
            return NodeFailure.Conflict("Target refused by the Node", error) with { Errors = new Dictionary<string, string[]> { ["targets"] = [error] } };
        var title = IsBindError(error) || error.Contains(ForwardRefusals.HeldPort, StringComparison.Ordinal) ? "Port already in use" : "Port refused by the Node";
        return NodeFailure.Conflict(title, error) with { Errors = new Dictionary<string, string[]> { ["listenPort"] = [error] } };
    }

    /// <summary>
    /// Syncs <paramref name="nodes"/>; returns the entry's error for this rule when another process
    /// holds its port or the Node's owner does not allow it (<see cref="ForwardRefusals"/>).
    /// </summary>
    private async Task<string?> PushAsync(ForwardRule rule, IReadOnlyList<string> nodes)
    {
        var entry = _pusher.SyncAsync(rule.NodeId, CancellationToken.None);
        var others = _pusher.SyncAllAsync(nodes.Where(n => n != rule.NodeId));
        var answer = await entry;
        // The other hops finish on their own; their state shows up as placement status.
        _ = others.ContinueWith(_ => OnChanged(), TaskScheduler.Default);
        var mine = answer?.FirstOrDefault(p => p.RuleId == rule.Id);
        return mine is { Status: ForwardStatuses.Error, Error: { } error } && (IsBindError(error) || ForwardRefusals.IsOwnerRefusal(error)) ? error : null;
    }

    /// <summary>"port 10080 already in use" and its variants: the address is held by something outside SentinelX.</summary>
    public static bool IsBindError(string error) =>
        error.Contains("already in use", StringComparison.OrdinalIgnoreCase) || error.Contains("address in use", StringComparison.OrdinalIgnoreCase);

    private async Task SaveSettingsAsync(ForwardRule rule, CancellationToken ct)
    {
        // Only the settings: the totals are moved by report ingestion at the same time.
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        await db.ForwardRules.Where(r => r.Id == rule.Id).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Name, rule.Name)
            .SetProperty(r => r.NodeId, rule.NodeId)
            .SetProperty(r => r.Protocol, rule.Protocol)
            .SetProperty(r => r.ListenAddress, rule.ListenAddress)
            .SetProperty(r => r.ListenPort, rule.ListenPort)
            .SetProperty(r => r.TargetsJson, rule.TargetsJson)
            .SetProperty(r => r.Balance, rule.Balance)
            .SetProperty(r => r.Mode, rule.Mode)
            .SetProperty(r => r.BandwidthMbps, rule.BandwidthMbps)
            .SetProperty(r => r.MaxConnections, rule.MaxConnections)
            .SetProperty(r => r.ProxyProtocol, rule.ProxyProtocol)
            .SetProperty(r => r.UdpIdleSeconds, rule.UdpIdleSeconds)
            .SetProperty(r => r.ChainJson, rule.ChainJson)
            .SetProperty(r => r.QuotaBytes, rule.QuotaBytes)
            .SetProperty(r => r.QuotaAction, rule.QuotaAction)
            .SetProperty(r => r.QuotaThrottleMbps, rule.QuotaThrottleMbps)
            .SetProperty(r => r.ResetDay, rule.ResetDay)
            .SetProperty(r => r.UpdatedAt, rule.UpdatedAt)
            .SetProperty(r => r.UpdatedBy, rule.UpdatedBy), ct);
    }

    private async Task DeleteStoredAsync(string id)
    {
        _live.Remove(id);
        await using var db = await _dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.ForwardRules.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None);
        await _traffic.DeleteRuleAsync(id, CancellationToken.None);
    }

    private ForwardView ToView(ForwardRule rule, long monthIn, long monthOut) =>
        ForwardViews.Of(rule, _registry, _live, monthIn, monthOut);

    private Task AuditAsync(AuditActor actor, string action, string? nodeId, string? name, string result, NodeFailure problem, CancellationToken ct) =>
        _audit.RecordAsync(actor, action, string.IsNullOrEmpty(nodeId) || _registry.Find(nodeId) is null ? null : nodeId,
            string.IsNullOrWhiteSpace(name) ? "(no name)" : name.Trim(), result,
            problem.Lock is { } lockName ? $"lock {lockName}: {problem.Title}" : $"{problem.Status} {problem.Detail}", ct);

    private static string Describe(ForwardRule rule)
    {
        var route = rule.Chain.Count > 0 ? string.Join(" → ", rule.Chain.Select(h => h.NodeId)) + " → " : "";
        return $"{rule.Protocol} {rule.ListenAddress}:{rule.ListenPort} → {route}{string.Join(", ", rule.Targets)} ({rule.Mode})";
    }

    public static NodeFailure NotFound(string id) => new(NodeFailureKind.NotFound, "Forward not found", $"there is no forward with id {id}");

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public void Dispose() => _edit.Dispose();
}

/// <summary>Audit actions of forwarding rules; the target is the rule's name.</summary>
public static class ForwardAudit
{
    public const string Create = "forward.create";
    public const string Update = "forward.update";
    public const string Delete = "forward.delete";
}
