using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.StatusPages;

/// <summary>A status page as the API and the admin page show it; <c>incidents</c> only when one page is read.</summary>
public sealed record StatusPageView(
    string Slug, string Title, IReadOnlyList<string> NodeIds, IReadOnlyList<string> ProbeIds, bool Public, string Path, DateTimeOffset UpdatedAt,
    IReadOnlyList<StatusIncidentView>? Incidents = null);

/// <summary>An incident note as the API, the admin page and the public page show it.</summary>
public sealed record StatusIncidentView(string Id, string Title, string Body, string State, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ResolvedAt)
{
    public bool Open => State != StatusIncidentInput.Resolved;

    public static StatusIncidentView From(StatusIncidentRecord r) => new(r.Id, r.Title, r.Body, r.State,
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt),
        r.ResolvedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
}

/// <summary>A probe an admin may put on a page: its id and name (never its target).</summary>
public sealed record StatusProbeChoice(string Id, string Name, string Type);

/// <summary>What an edit produced: the value, or the problems by field, or nothing because the page or incident does not exist.</summary>
public sealed record StatusEdit<T>(T? Value, IReadOnlyDictionary<string, string[]> Errors) where T : class
{
    public bool Succeeded => Value is not null;
}

/// <summary>
/// Status pages and their incidents: validation, storage, audit. The API and the admin page both
/// come here. The definitions are few and stay in memory, so the public endpoint knows without a
/// query whether a slug is a public page; <see cref="Changed"/> tells the page cache what to drop.
/// </summary>
public sealed class StatusPageService(IDbContextFactory<SentinelDb> dbFactory, NodeRegistry registry, AuditLog audit, TimeProvider time) : IDisposable
{
    /// <summary>Resolved incidents the public page still shows, newest first.</summary>
    public const int ResolvedShown = 5;

    private readonly SemaphoreSlim _edit = new(1, 1);
    private volatile FrozenDictionary<string, StatusPageRecord>? _pages;

    /// <summary>Raised with the slug after its definition or an incident changed.</summary>
    public event Action<string>? Changed;

    /// <summary>The stored definition of a public page; null for an unknown or private one.</summary>
    public async ValueTask<StatusPageRecord?> FindPublicAsync(string slug, CancellationToken ct) =>
        (await PagesAsync(ct)).GetValueOrDefault(slug) is { Public: true } page ? page : null;

    public async Task<IReadOnlyList<StatusPageView>> ListAsync(CancellationToken ct)
    {
        var pages = await PagesAsync(ct);
        return [.. pages.Values.OrderBy(p => p.Slug == StatusPageInput.DefaultSlug ? 0 : 1).ThenBy(p => p.Slug, StringComparer.Ordinal).Select(p => ToView(p))];
    }

    public async Task<StatusPageView?> GetAsync(string slug, CancellationToken ct)
    {
        if ((await PagesAsync(ct)).GetValueOrDefault(slug) is not { } page) return null;
        return ToView(page, await IncidentsAsync(slug, ct));
    }

    /// <summary>Creates or replaces the page at <paramref name="slug"/>; <c>created</c> tells which.</summary>
    public async Task<(StatusEdit<StatusPageView> Edit, bool Created)> PutAsync(string slug, StatusPageInput input, AuditActor actor, CancellationToken ct)
    {
        var errors = input.Validate(slug);
        if (errors.Count > 0) return (Invalid<StatusPageView>(errors), false);
        var unknownNodes = input.NodeIds.Where(id => registry.Find(id) is null).ToList();
        if (unknownNodes.Count > 0) errors["nodeIds"] = [$"no such node: {string.Join(", ", unknownNodes)}"];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (input.ProbeIds.Count > 0)
        {
            var known = await db.Probes.AsNoTracking().Where(p => input.ProbeIds.Contains(p.Id)).Select(p => p.Id).ToListAsync(ct);
            var unknownProbes = input.ProbeIds.Except(known, StringComparer.Ordinal).ToList();
            if (unknownProbes.Count > 0) errors["probeIds"] = [$"no such probe: {string.Join(", ", unknownProbes)}"];
        }

        if (errors.Count > 0) return (Invalid<StatusPageView>(errors), false);

        await EnsureLoadedAsync(ct);
        await _edit.WaitAsync(ct);
        StatusPageRecord page;
        bool created;
        try
        {
            page = await db.StatusPages.FirstOrDefaultAsync(p => p.Slug == slug, ct) ?? new StatusPageRecord { Slug = slug, Title = "" };
            created = db.Entry(page).State == EntityState.Detached;
            page.Title = input.Title;
            page.NodeIds = string.Join(',', input.NodeIds);
            page.ProbeIds = string.Join(',', input.ProbeIds);
            page.Public = input.Public;
            page.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (created) db.StatusPages.Add(page);
            await db.SaveChangesAsync(ct);
            _pages = _pages!.Where(p => p.Key != slug).Append(new(slug, page)).ToFrozenDictionary(StringComparer.Ordinal);
        }
        finally
        {
            _edit.Release();
        }

        await audit.RecordAsync(actor, AuditActions.StatusPageUpdate, null, slug, AuditResults.Ok,
            $"{(created ? "created" : "changed")}: {(page.Public ? "public" : "private")}, nodes [{page.NodeIds}], probes [{page.ProbeIds}]", ct);
        Changed?.Invoke(slug);
        return (new StatusEdit<StatusPageView>(ToView(page), NoErrors), created);
    }

    /// <summary>Deletes the page and its incidents; false when there is no such page.</summary>
    public async Task<bool> DeleteAsync(string slug, AuditActor actor, CancellationToken ct)
    {
        if ((await PagesAsync(ct)).GetValueOrDefault(slug) is not { } page) return false;
        await _edit.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.StatusIncidents.Where(i => i.Slug == slug).ExecuteDeleteAsync(ct);
            await db.StatusPages.Where(p => p.Slug == slug).ExecuteDeleteAsync(ct);
            await tx.CommitAsync(ct);
            _pages = _pages!.Where(p => p.Key != slug).ToFrozenDictionary(StringComparer.Ordinal);
        }
        finally
        {
            _edit.Release();
        }

        await audit.RecordAsync(actor, AuditActions.StatusPageDelete, null, slug, AuditResults.Ok, page.Title, ct);
        Changed?.Invoke(slug);
        return true;
    }

    /// <summary>Every incident of the page, open ones first, newest first within each.</summary>
    public async Task<IReadOnlyList<StatusIncidentView>> IncidentsAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.StatusIncidents.AsNoTracking().Where(i => i.Slug == slug).ToListAsync(ct);
        return [.. rows.OrderBy(i => i.State == StatusIncidentInput.Resolved).ThenByDescending(i => i.ResolvedAt ?? i.CreatedAt).ThenByDescending(i => i.CreatedAt)
            .Select(StatusIncidentView.From)];
    }

    /// <summary>What the public page shows: the open incidents, then the last <see cref="ResolvedShown"/> resolved ones.</summary>
    public async Task<IReadOnlyList<StatusIncidentView>> PublicIncidentsAsync(string slug, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var open = await db.StatusIncidents.AsNoTracking().Where(i => i.Slug == slug && i.State != StatusIncidentInput.Resolved)
            .OrderByDescending(i => i.CreatedAt).ToListAsync(ct);
        var resolved = await db.StatusIncidents.AsNoTracking().Where(i => i.Slug == slug && i.State == StatusIncidentInput.Resolved)
            .OrderByDescending(i => i.ResolvedAt).Take(ResolvedShown).ToListAsync(ct);
        return [.. open.Concat(resolved).Select(StatusIncidentView.From)];
    }

    public Task<StatusEdit<StatusIncidentView>> CreateIncidentAsync(string slug, StatusIncidentInput input, AuditActor actor, CancellationToken ct) =>
        WriteIncidentAsync(slug, null, input, actor, ct);

    public Task<StatusEdit<StatusIncidentView>> UpdateIncidentAsync(string slug, string id, StatusIncidentInput input, AuditActor actor, CancellationToken ct) =>
        WriteIncidentAsync(slug, id, input, actor, ct);

    public async Task<bool> DeleteIncidentAsync(string slug, string id, AuditActor actor, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.StatusIncidents.FirstOrDefaultAsync(i => i.Id == id && i.Slug == slug, ct);
        if (row is null) return false;
        db.StatusIncidents.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.StatusIncidentWrite, null, slug, AuditResults.Ok, $"deleted {id}: {row.Title}", ct);
        Changed?.Invoke(slug);
        return true;
    }

    /// <summary>The probes an admin can choose from, by name.</summary>
    public async Task<IReadOnlyList<StatusProbeChoice>> ProbeChoicesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var probes = await db.Probes.AsNoTracking().Select(p => new StatusProbeChoice(p.Id, p.Name, p.Type)).ToListAsync(ct);
        return [.. probes.OrderBy(p => p.Name, StringComparer.CurrentCultureIgnoreCase)];
    }

    private async Task<StatusEdit<StatusIncidentView>> WriteIncidentAsync(string slug, string? id, StatusIncidentInput input, AuditActor actor, CancellationToken ct)
    {
        if ((await PagesAsync(ct)).GetValueOrDefault(slug) is null) return Invalid<StatusIncidentView>([]);
        if (input.Validate() is { Count: > 0 } errors) return Invalid<StatusIncidentView>(errors);

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        StatusIncidentRecord row;
        if (id is null)
        {
            row = new StatusIncidentRecord { Id = NewId(), Slug = slug, Title = input.Title, State = input.State, CreatedAt = now };
            db.StatusIncidents.Add(row);
        }
        else
        {
            var found = await db.StatusIncidents.FirstOrDefaultAsync(i => i.Id == id && i.Slug == slug, ct);
            if (found is null) return Invalid<StatusIncidentView>([]);
            row = found;
        }

        var wasResolved = row.ResolvedAt is not null;
        row.Title = input.Title;
        row.Body = input.Body;
        row.State = input.State;
        row.UpdatedAt = now;
        // The time it was resolved stays as it was while the note is edited; reopening clears it.
        row.ResolvedAt = input.State == StatusIncidentInput.Resolved ? (wasResolved ? row.ResolvedAt : now) : null;
        await db.SaveChangesAsync(ct);

        await audit.RecordAsync(actor, AuditActions.StatusIncidentWrite, null, slug, AuditResults.Ok,
            $"{(id is null ? "created" : "changed")} {row.Id} ({row.State}): {row.Title}", ct);
        Changed?.Invoke(slug);
        return new StatusEdit<StatusIncidentView>(StatusIncidentView.From(row), NoErrors);
    }

    private async ValueTask<FrozenDictionary<string, StatusPageRecord>> PagesAsync(CancellationToken ct)
    {
        if (_pages is { } pages) return pages;
        await EnsureLoadedAsync(ct);
        return _pages!;
    }

    private async Task EnsureLoadedAsync(CancellationToken ct)
    {
        if (_pages is not null) return;
        await _edit.WaitAsync(ct);
        try
        {
            if (_pages is not null) return;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            _pages = (await db.StatusPages.AsNoTracking().ToListAsync(ct)).ToFrozenDictionary(p => p.Slug, StringComparer.Ordinal);
        }
        finally
        {
            _edit.Release();
        }
    }

    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    /// <summary>Nothing saved: the problems by field, or none when the page or incident does not exist.</summary>
    private static StatusEdit<T> Invalid<T>(Dictionary<string, string[]> errors) where T : class => new(null, errors);

    private static StatusPageView ToView(StatusPageRecord p, IReadOnlyList<StatusIncidentView>? incidents = null) =>
        new(p.Slug, p.Title, Split(p.NodeIds), Split(p.ProbeIds), p.Public, PathOf(p.Slug), DateTimeOffset.FromUnixTimeMilliseconds(p.UpdatedAt), incidents);

    /// <summary>Where the page is served: <c>/status</c> for <c>default</c>, else <c>/status/{slug}</c>.</summary>
    public static string PathOf(string slug) => slug == StatusPageInput.DefaultSlug ? "/status" : "/status/" + slug;

    internal static IReadOnlyList<string> Split(string ids) => ids.Split(',', StringSplitOptions.RemoveEmptyEntries);

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public void Dispose() => _edit.Dispose();
}
