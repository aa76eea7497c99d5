using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Probes;

/// <summary><c>/api/v1/probes</c>: everyone signed in reads probes and results; operators change them.</summary>
public static class ProbesApi
{
    public static IEndpointRouteBuilder MapProbesApi(this IEndpointRouteBuilder app)
    {
        var probes = app.MapGroup("/api/v1/probes").RequireAuthorization(Policies.Viewer).WithTags("Probes");
        probes.MapGet("", (ProbeStore store, CancellationToken ct) => store.ListAsync(ct));
        probes.MapPost("", CreateAsync).RequireAuthorization(Policies.Operator);
        probes.MapGet("/{id}", GetAsync);
        probes.MapPut("/{id}", UpdateAsync).RequireAuthorization(Policies.Operator);
        probes.MapDelete("/{id}", DeleteAsync).RequireAuthorization(Policies.Operator);
        probes.MapGet("/{id}/results", ResultsAsync);
        return app;
    }

    private static async Task<Results<Created<ProbeView>, ValidationProblem>> CreateAsync(ProbeInput? input, ProbeStore store, HttpContext http, CancellationToken ct)
    {
        if (input is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [""] = ["send a probe as a JSON object"] });
        var errors = store.Validate(input, ProbeStore.NewId(), (await store.ListAsync(ct)).Count);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid probe");
        var probe = await store.CreateAsync(input, AuditActor.From(http), ct);
        return TypedResults.Created($"/api/v1/probes/{probe.Id}", probe);
    }

    private static async Task<Results<Ok<ProbeView>, ProblemHttpResult>> GetAsync(string id, ProbeStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } probe ? TypedResults.Ok(probe) : NotFound(id);

    private static async Task<Results<Ok<ProbeView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, ProbeInput? input, ProbeStore store, HttpContext http, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is null) return NotFound(id);
        if (input is null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [""] = ["send a probe as a JSON object"] });
        var errors = store.Validate(input, id, 0);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid probe");
        return await store.UpdateAsync(id, input, AuditActor.From(http), ct) is { } probe ? TypedResults.Ok(probe) : NotFound(id);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, ProbeStore store, HttpContext http, CancellationToken ct) =>
        await store.DeleteAsync(id, AuditActor.From(http), ct) ? TypedResults.NoContent() : NotFound(id);

    /// <summary>Raw checks, oldest first: <c>from</c>/<c>to</c> (ISO 8601 or unix s/ms; the last hour by default), <c>node</c> to pick one Node.</summary>
    private static async Task<Results<Ok<List<ProbeResultView>>, ProblemHttpResult>> ResultsAsync(
        string id, string? from, string? to, string? node, ProbeStore store, ProbeResultsQuery results, TimeProvider time, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is null) return NotFound(id);
        var now = time.GetUtcNow();
        if (!NodesApi.TryParseTime(to, now, out var end) || !NodesApi.TryParseTime(from, end.AddHours(-1), out var start) || start > end)
            return TypedResults.Problem(title: "Invalid range", detail: "from and to are ISO 8601 or unix seconds/milliseconds, from before to", statusCode: 400);
        if (node is { Length: > 64 }) return TypedResults.Problem(title: "Invalid node", detail: "node ids are at most 64 characters", statusCode: 400);
        return TypedResults.Ok(await results.RawAsync(id, start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds(), node, ct));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Not found", detail: $"no probe with id {id}", statusCode: StatusCodes.Status404NotFound);
}
