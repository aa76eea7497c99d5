using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Auth;

namespace SentinelX.App.Features.Audit;

/// <summary>One audit entry as the API returns it.</summary>
public sealed record AuditEntryView(long Id, DateTimeOffset At, string Actor, string ActorKind, string? Address, string? NodeId,
    string Action, string Target, string Result, string Detail)
{
    public static AuditEntryView Of(AuditEntry e) =>
        new(e.Id, DateTimeOffset.FromUnixTimeMilliseconds(e.At), e.Actor, e.ActorKind, e.Address, e.NodeId, e.Action, e.Target, e.Result, e.Detail);
}

/// <summary><c>GET /api/v1/audit</c>: newest first, for operators and admins (viewers are refused).</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit", QueryAsync).RequireAuthorization(Policies.Operator).WithTags("Audit");
        return app;
    }

    /// <param name="action">An exact action ("exec.run") or a prefix ending in a dot ("docker.").</param>
    /// <param name="before">Page backwards: only entries with a smaller id.</param>
    private static async Task<Results<Ok<IReadOnlyList<AuditEntryView>>, ProblemHttpResult>> QueryAsync(
        AuditLog audit, string? node = null, string? actor = null, string? action = null, string? result = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, long? before = null, int limit = 100, CancellationToken ct = default)
    {
        if (limit is < 1 or > AuditLog.MaxLimit)
            return TypedResults.Problem(title: "Invalid limit", detail: $"limit must be within 1 to {AuditLog.MaxLimit}", statusCode: 400);
        if (from is { } f && to is { } t && f >= t)
            return TypedResults.Problem(title: "Invalid range", detail: "from must be before to", statusCode: 400);

        var entries = await audit.QueryAsync(new AuditQuery
        {
            NodeId = node,
            Actor = actor,
            Action = action,
            Result = result,
            From = from?.ToUnixTimeMilliseconds(),
            To = to?.ToUnixTimeMilliseconds(),
            Before = before,
            Limit = limit,
        }, ct);
        return TypedResults.Ok<IReadOnlyList<AuditEntryView>>([.. entries.Select(AuditEntryView.Of)]);
    }
}
