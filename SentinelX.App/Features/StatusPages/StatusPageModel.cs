using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.StatusPages;

/// <summary>
/// One thing on a public page. Only what the page may show: a name (for a probe also its type), a
/// state and uptime. Never an address, a hostname, a probe's target, metrics or tags.
/// </summary>
public sealed record StatusItem(string Name, string? Type, string State, UptimeSummary Uptime)
{
    public const string Up = "up";
    public const string Down = "down";
    public const string Unknown = "unknown";
    public const string Paused = "paused";
}

/// <summary>Everything a public page shows, built at most every <see cref="StatusPageCache.Lifetime"/>.</summary>
public sealed record StatusPageModel(
    string Slug, string Title, DateTimeOffset BuiltAt, IReadOnlyList<StatusItem> Nodes, IReadOnlyList<StatusItem> Probes, IReadOnlyList<StatusIncidentView> Incidents)
{
    /// <summary>"up" when everything on the page is up, "down" when something is down, "unknown" when there is nothing to tell.</summary>
    public string Overall =>
        Nodes.Concat(Probes).Any(i => i.State == StatusItem.Down) ? StatusItem.Down
        : Nodes.Concat(Probes).Any(i => i.State == StatusItem.Up) ? StatusItem.Up
        : StatusItem.Unknown;
}

/// <summary>Builds a page's model from the registry (names, online) and the database (uptime, probes, incidents).</summary>
public sealed class StatusPageBuilder(NodeRegistry registry, UptimeQuery uptime, StatusPageService pages, IDbContextFactory<SentinelDb> dbFactory, TimeProvider time)
{
    /// <summary>A probe whose newest check is older than this shows no state.</summary>
    public static readonly TimeSpan StateFreshFor = TimeSpan.FromMinutes(30);

    public async Task<StatusPageModel> BuildAsync(StatusPageRecord page, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var end = UptimeQuery.EndAt(now);
        var from = UptimeQuery.StartFor(end);

        // Nodes removed since the page was saved are left out.
        var nodes = StatusPageService.Split(page.NodeIds).Select(registry.Find).OfType<NodeState>().ToList();
        var minutes = await uptime.NodeUpMinutesAsync([.. nodes.Select(n => new NodeSpan(n.Id, n.CreatedAt, n.SampleIntervalMs))], end, ct);
        var nodeItems = nodes.Select(n => new StatusItem(n.Name, null, n.Online ? StatusItem.Up : StatusItem.Down,
            UptimeHours.ForNode(minutes[n.Id], n.CreatedAt, from, end).Summarize(end))).ToList();

        var probeIds = StatusPageService.Split(page.ProbeIds);
        List<(string Id, string Name, string Type, bool Enabled)> probes;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            probes = (await db.Probes.AsNoTracking().Where(p => probeIds.Contains(p.Id)).Select(p => new { p.Id, p.Name, p.Type, p.Enabled }).ToListAsync(ct))
                .Select(p => (p.Id, p.Name, p.Type, p.Enabled)).ToList();
        }

        probes.Sort((a, b) => IndexOf(probeIds, a.Id).CompareTo(IndexOf(probeIds, b.Id)));
        var ids = probes.Select(p => p.Id).ToList();
        var checks = await uptime.ProbeHoursAsync(ids, end, ct);
        var states = await uptime.ProbeStatesAsync(ids, (now - StateFreshFor).ToUnixTimeMilliseconds(), ct);
        var probeItems = probes.Select(p => new StatusItem(p.Name, p.Type,
            !p.Enabled ? StatusItem.Paused : states.TryGetValue(p.Id, out var ok) ? (ok ? StatusItem.Up : StatusItem.Down) : StatusItem.Unknown,
            checks[p.Id].Summarize(end))).ToList();

        var incidents = await pages.PublicIncidentsAsync(page.Slug, ct);
        return new StatusPageModel(page.Slug, page.Title, now, nodeItems, probeItems, incidents);
    }

    private static int IndexOf(IReadOnlyList<string> ids, string id)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == id) return i;
        }

        return ids.Count;
    }
}
