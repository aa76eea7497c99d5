using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Nodes;

/// <summary><c>/api/v1/nodes</c> and <c>/api/v1/summary</c>: the fleet as the API serves it.</summary>
public static class NodesApi
{
    public sealed record NodeView(string Id, string Name, bool Online, DateTimeOffset? LastSeen, string Os, string Arch, MetricSample? Metrics);

    public sealed record NodeDetailView(
        string Id, string Name, bool Online, DateTimeOffset? LastSeen, string Os, string Arch, MetricSample? Metrics,
        string AgentVersion, DateTimeOffset CreatedAt, string? RemoteAddress, IReadOnlyList<string> PublicIps,
        long? UptimeSeconds, SystemInfo? System,
        IReadOnlyList<string> Tags, string GroupName, string Region, string Notes, int TrafficResetDay,
        long? TrafficQuotaBytes, BillingView? Billing);

    /// <summary>Billing as the API shows it; <c>daysLeft</c> and <c>monthlyCost</c> are derived.</summary>
    public sealed record BillingView(decimal? Price, string Currency, string Cycle, DateTimeOffset? ExpiresAt, bool AutoRenew, int? DaysLeft, decimal? MonthlyCost);

    public sealed record SummaryView(int Nodes, int Online, double CpuPercent, long MemUsedBytes, long MemTotalBytes,
        double NetRxBps, double NetTxBps, long NetRxTotal, long NetTxTotal);

    public static IEndpointRouteBuilder MapNodesApi(this IEndpointRouteBuilder app)
    {
        var nodes = app.MapGroup("/api/v1/nodes").RequireAuthorization(Policies.Viewer).WithTags("Nodes");
        nodes.MapGet("", (NodeRegistry registry) => registry.All.OrderBy(n => n.Name, StringComparer.OrdinalIgnoreCase).ThenBy(n => n.Id).Select(ToView).ToList());
        nodes.MapGet("/pending", (NodeEnrollment enrollment, CancellationToken ct) => enrollment.PendingAsync(ct)).RequireAuthorization(Policies.Admin);
        nodes.MapPost("/pending/{id}/approve", (string id, NodeEnrollment enrollment, HttpContext http, CancellationToken ct) =>
            DecideAsync(enrollment.ApproveAsync(id, AuditActor.From(http), ct))).RequireAuthorization(Policies.Admin);
        nodes.MapPost("/pending/{id}/reject", (string id, NodeEnrollment enrollment, HttpContext http, CancellationToken ct) =>
            DecideAsync(enrollment.RejectAsync(id, AuditActor.From(http), ct))).RequireAuthorization(Policies.Admin);
        var node = nodes.MapGroup("/{id}").RequireKnownNode();
        node.MapGet("", (RoutedNode target) => TypedResults.Ok(ToDetail(target.Node)));
        node.MapGet("/metrics", GetMetricsAsync);
        node.MapGet("/system", GetLiveSystemAsync);
        node.MapPost("/revoke", RevokeAsync).RequireAuthorization(Policies.Admin);
        node.MapPatch("", UpdateAsync).RequireAuthorization(Policies.Operator);
        node.MapDelete("", RemoveAsync).RequireAuthorization(Policies.Admin);

        app.MapGet("/api/v1/summary", (NodeRegistry registry) => Summarize(registry)).RequireAuthorization(Policies.Viewer).WithTags("Nodes");
        return app;
    }

    internal static SummaryView Summarize(NodeRegistry registry)
    {
        int total = 0, online = 0;
        double cpu = 0, rx = 0, tx = 0;
        long memUsed = 0, memTotal = 0, rxTotal = 0, txTotal = 0;
        foreach (var node in registry.All)
        {
            total++;
            if (!node.Online || node.Latest is not { } m) continue;
            online++;
            cpu += m.CpuPercent;
            memUsed += m.MemUsedBytes;
            memTotal += m.MemTotalBytes;
            rx += m.NetRxBps;
            tx += m.NetTxBps;
            rxTotal += m.NetRxTotal;
            txTotal += m.NetTxTotal;
        }

        return new SummaryView(total, online, online == 0 ? 0 : Math.Round(cpu / online, 2), memUsed, memTotal, rx, tx, rxTotal, txTotal);
    }

    private static async Task<Results<Ok<MetricSeries>, ProblemHttpResult>> GetMetricsAsync(
        RoutedNode target, string? from, string? to, string? step, MetricsQuery query, TimeProvider time, CancellationToken ct)
    {
        var id = target.Node.Id;
        var now = time.GetUtcNow();
        if (!TryParseTime(to, now, out var toTime)) return BadRequest("to", to);
        if (!TryParseTime(from, toTime.AddHours(-1), out var fromTime)) return BadRequest("from", from);
        if (fromTime >= toTime) return TypedResults.Problem(title: "Invalid time range", detail: "from must be before to", statusCode: 400);
        if (toTime - fromTime > TimeSpan.FromDays(400)) return TypedResults.Problem(title: "Invalid time range", detail: "the range may span at most 400 days", statusCode: 400);

        int stepSeconds;
        if (string.IsNullOrEmpty(step))
        {
            // About 300 points whatever the range: enough for a chart, cheap to send.
            stepSeconds = (int)Math.Max(1, Math.Ceiling((toTime - fromTime).TotalSeconds / 300));
        }
        else if (!TryParseStep(step, out stepSeconds))
        {
            return TypedResults.Problem(title: "Invalid step", detail: "step must be seconds (1 to 86400) or a duration like 30s, 5m, 1h", statusCode: 400);
        }

        return TypedResults.Ok(await query.GetSeriesAsync(id, fromTime.ToUnixTimeMilliseconds(), toTime.ToUnixTimeMilliseconds(), stepSeconds, ct));
    }

    private static async Task<Results<Ok<SystemInfo>, ProblemHttpResult>> GetLiveSystemAsync(RoutedNode target, CancellationToken ct)
    {
        var node = target.Node;
        if (node.Session is not { } session) return NodeFailure.Offline(node).ToProblem();
        try
        {
            var system = await session.GetSystemInfoAsync(ct);
            node.System = system;
            return TypedResults.Ok(system);
        }
        catch (Exception ex) when (ex is JsonRpcException or IOException)
        {
            return NodeFailure.From(node, ex, "system").ToProblem();
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DecideAsync(Task<EnrollDecision.Refused?> decision) =>
        await decision is { } refused
            ? TypedResults.Problem(title: refused.Title, detail: refused.Detail, statusCode: refused.Status)
            : TypedResults.NoContent();

    private static async Task<NoContent> RevokeAsync(RoutedNode target, SentinelDb db, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        var node = target.Node;
        var id = node.Id;
        await db.Nodes.Where(n => n.Id == id).ExecuteUpdateAsync(s => s.SetProperty(n => n.Revoked, true), ct);
        node.Revoked = true;
        node.Session?.Peer.Abort();
        await audit.RecordAsync(AuditActor.From(http), AuditActions.NodeRevoke, id, node.Name, AuditResults.Ok, null, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<NodeDetailView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        RoutedNode target, NodeChanges? changes, NodeEditor editor, HttpContext http, CancellationToken ct)
    {
        var node = target.Node;
        if (changes is null) return TypedResults.Problem(title: "Invalid node changes", detail: "send a JSON object with the fields to change", statusCode: 400);
        if (changes.Validate() is { Count: > 0 } errors) return TypedResults.ValidationProblem(errors, title: "Invalid node changes");
        await editor.UpdateAsync(node, changes, AuditActor.From(http), ct);
        return TypedResults.Ok(ToDetail(node));
    }

    private static async Task<NoContent> RemoveAsync(RoutedNode target, NodeEditor editor, HttpContext http, CancellationToken ct)
    {
        await editor.RemoveAsync(target.Node, AuditActor.From(http), ct);
        return TypedResults.NoContent();
    }

    private static NodeView ToView(NodeState n) => new(n.Id, n.Name, n.Online, LastSeen(n), n.Os, n.Arch, n.Latest);

    private static NodeDetailView ToDetail(NodeState n)
    {
        var publicIps = new List<string>(n.System?.PublicIps ?? []);
        if (n.RemoteAddress is { } remote && IPAddress.TryParse(remote, out var address) && AddressScope.IsGloballyRoutable(address) && !publicIps.Contains(remote))
            publicIps.Add(remote);
        return new NodeDetailView(n.Id, n.Name, n.Online, LastSeen(n), n.Os, n.Arch, n.Latest, n.AgentVersion,
            DateTimeOffset.FromUnixTimeMilliseconds(n.CreatedAt), n.RemoteAddress, publicIps, n.Latest?.UptimeSeconds, n.System,
            n.Tags, n.GroupName, n.Region, n.Notes, n.TrafficResetDay, n.TrafficQuotaBytes, ToBilling(n.Billing, TimeProvider.System.GetUtcNow()));
    }

    internal static BillingView? ToBilling(NodeBilling b, DateTimeOffset now) =>
        b == NodeBilling.None ? null
        : new BillingView(b.Price, b.Currency, b.Cycle, b.ExpiresAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, b.AutoRenew, b.DaysLeft(now), b.MonthlyCost);

    private static DateTimeOffset? LastSeen(NodeState n) =>
        n.LastSeenAt > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(n.LastSeenAt) : null;

    /// <summary>Accepts ISO 8601, or unix time in seconds or milliseconds.</summary>
    internal static bool TryParseTime(string? text, DateTimeOffset fallback, out DateTimeOffset value)
    {
        value = fallback;
        if (string.IsNullOrEmpty(text)) return true;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            if (number > 100_000_000_000_000) return false;
            value = number > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(number) : DateTimeOffset.FromUnixTimeSeconds(number);
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    internal static bool TryParseStep(string text, out int seconds)
    {
        seconds = 0;
        var multiplier = text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
        var digits = multiplier == 0 ? text : text[..^1];
        if (multiplier == 0) multiplier = 1;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        seconds = n * multiplier;
        return seconds is >= 1 and <= 86400;
    }

    private static ProblemHttpResult BadRequest(string name, string? value) =>
        TypedResults.Problem(title: $"Invalid {name}", detail: $"{name}='{value}' is not a time: use ISO 8601 or unix seconds/milliseconds", statusCode: 400);
}
