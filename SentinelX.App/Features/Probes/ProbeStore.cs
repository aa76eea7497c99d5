using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.App.Features.Probes;

/// <summary>The body of <c>POST/PUT /api/v1/probes</c>.</summary>
public sealed record ProbeInput
{
    public string? Name { get; init; }
    public string? Type { get; init; }
    public string? Target { get; init; }
    public int? IntervalSeconds { get; init; }
    public int? TimeoutMs { get; init; }
    public string? Keyword { get; init; }
    public int? ExpectStatus { get; init; }
    public string? DnsServer { get; init; }
    public string? RecordType { get; init; }
    public IReadOnlyList<string>? NodeIds { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public bool? Enabled { get; init; }
}

/// <summary>A probe as the API shows it.</summary>
public sealed record ProbeView(
    string Id, string Name, string Type, string Target, int IntervalSeconds, int TimeoutMs, string? Keyword, int? ExpectStatus,
    string? DnsServer, string? RecordType, IReadOnlyList<string> NodeIds, IReadOnlyList<string> Tags, bool Enabled,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ProbeView From(ProbeRecord p) => new(
        p.Id, p.Name, p.Type, p.Target, p.IntervalSeconds, p.TimeoutMs, p.Keyword, p.ExpectStatus, p.DnsServer, p.RecordType,
        NodeState.SplitTags(p.NodeIds), NodeState.SplitTags(p.Tags), p.Enabled,
        DateTimeOffset.FromUnixTimeMilliseconds(p.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(p.UpdatedAt));

    /// <summary>What the Nodes are sent: the same checks the Node makes again on arrival.</summary>
    public ProbeDefinition ToDefinition() => new()
    {
        Id = Id, Type = Type, Target = Target, IntervalSeconds = IntervalSeconds, TimeoutMs = TimeoutMs,
        Keyword = Type == ProbeTypes.Http ? Keyword : null, ExpectStatus = Type == ProbeTypes.Http ? ExpectStatus : null,
        DnsServer = Type == ProbeTypes.Dns ? DnsServer : null, RecordType = Type == ProbeTypes.Dns ? RecordType : null,
    };

    /// <summary>Whether <paramref name="node"/> runs this probe: named by id, or carrying one of its tags.</summary>
    public bool Covers(NodeState node) =>
        Enabled && (NodeIds.Contains(node.Id, StringComparer.Ordinal) || node.Tags.Any(t => Tags.Contains(t, StringComparer.Ordinal)));
}

/// <summary>Probes: the rows, their audit entries, and a cached list the sync and the pages read.</summary>
public sealed class ProbeStore(IDbContextFactory<SentinelDb> dbFactory, NodeRegistry nodes, AuditLog audit, TimeProvider time)
{
    public const int MaxProbes = ProbeLimits.MaxProbes;

    private volatile IReadOnlyList<ProbeView>? _cache;

    /// <summary>Raised after a probe was created, changed or deleted.</summary>
    public event Action? Changed;

    public async Task<IReadOnlyList<ProbeView>> ListAsync(CancellationToken ct)
    {
        if (_cache is { } cached) return cached;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Probes.AsNoTracking().OrderBy(p => p.Name).ThenBy(p => p.Id).ToListAsync(ct);
        return _cache = [.. rows.Select(ProbeView.From)];
    }

    /// <summary>A probe's name from the cached list, or its id while the list is not loaded (alert messages).</summary>
    public string NameOf(string id) => _cache?.FirstOrDefault(p => p.Id == id)?.Name ?? id;

    public async Task<ProbeView?> GetAsync(string id, CancellationToken ct) => (await ListAsync(ct)).FirstOrDefault(p => p.Id == id);

    /// <summary>Checks a body; errors by field name, as a validation problem names them.</summary>
    public Dictionary<string, string[]> Validate(ProbeInput input, string id, int existing)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100 || name.Any(char.IsControl))
            errors["name"] = ["name is required: at most 100 characters without control characters"];
        if (!ProbeTypes.IsKnown(input.Type)) errors["type"] = ["type must be icmp, tcp, http or dns"];
        else if (ProbeValidation.Validate(Definition(input, id)) is { } problem) errors[FieldOf(problem)] = [problem];
        var ids = input.NodeIds ?? [];
        var tags = input.Tags ?? [];
        if (ids.Count == 0 && tags.Count == 0) errors["nodeIds"] = ["choose the Nodes that run it: nodeIds or tags"];
        if (ids.Count > 500 || tags.Count > 50) errors["nodeIds"] = ["at most 500 node ids and 50 tags"];
        var unknown = ids.Where(n => nodes.Find(n) is null).ToList();
        if (unknown.Count > 0) errors["nodeIds"] = [$"no such node: {string.Join(", ", unknown.Take(5))}"];
        if (tags.Any(t => t is not { Length: > 0 and <= 32 } || t.Any(c => char.IsControl(c) || c == ',')))
            errors["tags"] = ["a tag is 1 to 32 characters without commas or control characters"];
        if (existing >= MaxProbes) errors[""] = [$"at most {MaxProbes} probes"];
        return errors;
    }

    public async Task<ProbeView> CreateAsync(ProbeInput input, AuditActor actor, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new ProbeRecord { Id = NewId(), Name = "", Type = "", Target = "", CreatedAt = now };
        Apply(row, input, now);
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.Probes.Add(row);
            await db.SaveChangesAsync(ct);
        }

        await ChangedAsync(actor, AuditActions.ProbeCreate, row, ct);
        return ProbeView.From(row);
    }

    public async Task<ProbeView?> UpdateAsync(string id, ProbeInput input, AuditActor actor, CancellationToken ct)
    {
        ProbeRecord? row;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            row = await db.Probes.FirstOrDefaultAsync(p => p.Id == id, ct);
            if (row is null) return null;
            Apply(row, input, time.GetUtcNow().ToUnixTimeMilliseconds());
            await db.SaveChangesAsync(ct);
        }

        await ChangedAsync(actor, AuditActions.ProbeUpdate, row, ct);
        return ProbeView.From(row);
    }

    public async Task<bool> DeleteAsync(string id, AuditActor actor, CancellationToken ct)
    {
        ProbeRecord? row;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            row = await db.Probes.FirstOrDefaultAsync(p => p.Id == id, ct);
            if (row is null) return false;
            db.Probes.Remove(row);
            await db.SaveChangesAsync(ct);
            // Results go with the probe: nothing shows them any more.
            await db.ProbeResults.Where(r => r.ProbeId == id).ExecuteDeleteAsync(ct);
            await db.ProbeMinutes.Where(r => r.ProbeId == id).ExecuteDeleteAsync(ct);
            await db.ProbeHours.Where(r => r.ProbeId == id).ExecuteDeleteAsync(ct);
        }

        await ChangedAsync(actor, AuditActions.ProbeDelete, row, ct);
        return true;
    }

    private async Task ChangedAsync(AuditActor actor, string action, ProbeRecord row, CancellationToken ct)
    {
        _cache = null;
        Changed?.Invoke();
        await audit.RecordAsync(actor, action, null, row.Name, AuditResults.Ok, $"{row.Id}: {row.Type} {row.Target}", ct);
    }

    private static void Apply(ProbeRecord row, ProbeInput input, long now)
    {
        row.Name = input.Name!.Trim();
        row.Type = input.Type!;
        row.Target = input.Target!;
        row.IntervalSeconds = input.IntervalSeconds ?? 30;
        row.TimeoutMs = input.TimeoutMs ?? ProbeLimits.DefaultTimeoutMs;
        row.Keyword = string.IsNullOrEmpty(input.Keyword) ? null : input.Keyword;
        row.ExpectStatus = input.ExpectStatus;
        row.DnsServer = string.IsNullOrEmpty(input.DnsServer) ? null : input.DnsServer;
        row.RecordType = string.IsNullOrEmpty(input.RecordType) ? null : input.RecordType;
        row.NodeIds = string.Join(',', (input.NodeIds ?? []).Distinct(StringComparer.Ordinal));
        row.Tags = string.Join(',', (input.Tags ?? []).Distinct(StringComparer.Ordinal));
        row.Enabled = input.Enabled ?? true;
        row.UpdatedAt = now;
    }

    private static ProbeDefinition Definition(ProbeInput input, string id) => new()
    {
        Id = id, Type = input.Type!, Target = input.Target ?? "", IntervalSeconds = input.IntervalSeconds ?? 30,
        TimeoutMs = input.TimeoutMs, Keyword = string.IsNullOrEmpty(input.Keyword) ? null : input.Keyword, ExpectStatus = input.ExpectStatus,
        DnsServer = string.IsNullOrEmpty(input.DnsServer) ? null : input.DnsServer, RecordType = string.IsNullOrEmpty(input.RecordType) ? null : input.RecordType,
    };

    // The shared validation says "target …", "intervalSeconds …": its first word names the field.
    private static string FieldOf(string problem)
    {
        var word = problem.Split(' ', 2)[0].TrimEnd(':');
        return word is "target" or "intervalSeconds" or "timeoutMs" or "keyword" or "expectStatus" or "dnsServer" or "recordType" ? word : "target";
    }

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
