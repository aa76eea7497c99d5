using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;

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
        var (view, problem) = await forwards.CreateAsync(body, AuditActor.From(http), ct);
        return problem is not null ? ToProblem(problem) : TypedResults.Created($"/api/v1/forwards/{view!.Id}", view);
    }

    private static async Task<Results<Ok<ForwardView>, ProblemHttpResult>> UpdateAsync(
        string id, ForwardInput body, HttpContext http, ForwardService forwards, CancellationToken ct)
    {
        var (view, problem) = await forwards.UpdateAsync(id, body, AuditActor.From(http), ct);
        return problem is not null ? ToProblem(problem) : TypedResults.Ok(view!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, HttpContext http, ForwardService forwards, CancellationToken ct) =>
        await forwards.DeleteAsync(id, AuditActor.From(http), ct) is { } problem ? ToProblem(problem) : TypedResults.NoContent();

    private static async Task<Results<Ok<ForwardHistory>, ProblemHttpResult>> HistoryAsync(
        string id, ForwardService forwards, [FromQuery] string? range, CancellationToken ct)
    {
        if (!Ranges.TryGetValue(range ?? "1h", out var span))
            return TypedResults.Problem(title: "Invalid range", detail: "range must be 1h, 6h, 24h, 7d or 30d", statusCode: 400);
        return await forwards.HistoryAsync(id, span, ct) is { } history ? TypedResults.Ok(history) : NotFound(id);
    }

    private static async Task<Results<Ok<IReadOnlyList<ForwardMonth>>, ProblemHttpResult>> MonthsAsync(
        string id, ForwardService forwards, [FromQuery] int? count, CancellationToken ct)
    {
        if (await forwards.GetAsync(id, ct) is null) return NotFound(id);
        return TypedResults.Ok(await forwards.MonthsAsync(id, count ?? 12, ct));
    }

    /// <summary>The RFC 9457 problem: field errors as <c>errors</c>, a closed capability lock as <c>lock</c>.</summary>
    public static ProblemHttpResult ToProblem(ForwardProblem problem)
    {
        var extensions = new Dictionary<string, object?>();
        if (problem.Errors is { Count: > 0 } errors) extensions["errors"] = errors;
        if (problem.Lock is { } lockName) extensions["lock"] = lockName;
        return TypedResults.Problem(title: problem.Title, detail: problem.Detail, statusCode: problem.Status, extensions: extensions);
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Forward not found", detail: $"there is no forward with id {id}", statusCode: 404);
}
