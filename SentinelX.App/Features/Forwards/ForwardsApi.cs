using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// <c>/api/v1/forwards</c>: list, read, create, replace and delete forwarding rules, and read their
/// traffic history and monthly totals. Viewers may read; operators and admins change.
/// </summary>
public static class ForwardsApi
{
    private static readonly Dictionary<string, TimeSpan> Ranges = new(StringComparer.Ordinal)
    {
        ["1h"] = TimeSpan.FromHours(1),
        ["6h"] = TimeSpan.FromHours(6),
        ["24h"] = TimeSpan.FromHours(24),
        ["7d"] = TimeSpan.FromDays(7),
        ["30d"] = TimeSpan.FromDays(30),
    };

    public static IEndpointRouteBuilder MapForwardsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/forwards").RequireAuthorization(Policies.Viewer).WithTags("Forwards");
        group.MapGet("/", async (ForwardService forwards, CancellationToken ct) => TypedResults.Ok(await forwards.ListAsync(ct)));
        group.MapGet("/{id}", GetAsync);
        group.MapGet("/{id}/history", HistoryAsync);
        group.MapGet("/{id}/months", MonthsAsync);
        group.MapPost("/", CreateAsync).RequireAuthorization(Policies.Operator);
        group.MapPut("/{id}", UpdateAsync).RequireAuthorization(Policies.Operator);
        group.MapDelete("/{id}", DeleteAsync).RequireAuthorization(Policies.Operator);
        return app;
    }

    private static async Task<Results<Ok<ForwardView>, ProblemHttpResult>> GetAsync(string id, ForwardService forwards, CancellationToken ct) =>
        await forwards.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : NotFound(id);

    private static async Task<Results<Created<ForwardView>, ProblemHttpResult>> CreateAsync(
        ForwardInput body, HttpContext http, ForwardService forwards, CancellationToken ct)
    {
        var created = await forwards.CreateAsync(body, AuditActor.From(http), ct);
        return created.Succeeded ? TypedResults.Created($"/api/v1/forwards/{created.Value.Id}", created.Value) : created.Failure.ToProblem();
    }

    private static async Task<Results<Ok<ForwardView>, ProblemHttpResult>> UpdateAsync(
        string id, ForwardInput body, HttpContext http, ForwardService forwards, CancellationToken ct)
    {
        return (await forwards.UpdateAsync(id, body, AuditActor.From(http), ct)).ToHttp();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, HttpContext http, ForwardService forwards, CancellationToken ct) =>
        await forwards.DeleteAsync(id, AuditActor.From(http), ct) is { } problem ? problem.ToProblem() : TypedResults.NoContent();

    private static async Task<Results<Ok<ForwardHistory>, ProblemHttpResult>> HistoryAsync(
        string id, ForwardService forwards, [FromQuery] string? range, CancellationToken ct)
    {
        if (!Ranges.TryGetValue(range ?? "1h", out var span))
            return NodeFailure.BadRequest("Invalid range", "range must be 1h, 6h, 24h, 7d or 30d").ToProblem();
        return await forwards.HistoryAsync(id, span, ct) is { } history ? TypedResults.Ok(history) : NotFound(id);
    }

    private static async Task<Results<Ok<IReadOnlyList<ForwardMonth>>, ProblemHttpResult>> MonthsAsync(
        string id, ForwardService forwards, [FromQuery] int? count, CancellationToken ct)
    {
        if (await forwards.GetAsync(id, ct) is null) return NotFound(id);
        return TypedResults.Ok(await forwards.MonthsAsync(id, count ?? 12, ct));
    }

    private static ProblemHttpResult NotFound(string id) => ForwardService.NotFound(id).ToProblem();
}
