using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Exec;

/// <summary>
/// <c>/api/v1/nodes/{id}/exec</c> and <c>/api/v1/exec</c>: run a command on one Node or a set and
/// wait for the result, read the history, cancel. Operators and admins only.
/// </summary>
public static class ExecApi
{
    /// <summary>Most Nodes one batch may address.</summary>
    public const int MaxBatchNodes = 500;

    public static IEndpointRouteBuilder MapExecApi(this IEndpointRouteBuilder app)
    {
        var node = app.MapNodeGroup("/exec").WithTags("Exec").RequireAuthorization(Policies.Operator);
        node.MapPost("", RunAsync);
        node.MapGet("", HistoryAsync);
        var group = app.MapGroup("/api/v1").WithTags("Exec").RequireAuthorization(Policies.Operator);
        group.MapPost("/exec", BatchAsync);
        group.MapGet("/exec/runs/{runId}", GetRunAsync);
        group.MapPost("/exec/runs/{runId}/cancel", CancelAsync);
        return app;
    }

    private static async Task<Results<Ok<ExecResultView>, ProblemHttpResult>> RunAsync(
        RoutedNode target, ExecRequest body, HttpContext http, ExecService exec)
    {
        var node = target.Node;
        if (body.Validate() is { } error) return Invalid(error);
        var started = await exec.StartAsync(node, body, AuditActor.From(http));
        if (!started.Succeeded) return started.Failure.ToProblem();
        // Not cancelled with the request: a caller that leaves does not stop the command (cancel does).
        var record = await started.Value.Completion;
        return TypedResults.Ok(ExecResultView.Of(record, node.Name));
    }

    private static async Task<Results<Ok<ExecBatchView>, ProblemHttpResult>> BatchAsync(
        ExecBatchRequest body, HttpContext http, NodeRegistry registry, ExecService exec)
    {
        var request = body.ToRequest();
        if (request.Validate() is { } error) return Invalid(error);
        var hasIds = body.NodeIds is { Count: > 0 };
        var hasTag = !string.IsNullOrWhiteSpace(body.Tag);
        if (hasIds == hasTag) return Invalid("name the nodes with either nodeIds or tag");

        List<(string Id, NodeState? Node)> targets = hasIds
            ? [.. body.NodeIds!.Distinct(StringComparer.Ordinal).Select(nodeId => (nodeId, registry.Find(nodeId)))]
            : [.. registry.All.Where(n => n.Tags.Contains(body.Tag!.Trim(), StringComparer.OrdinalIgnoreCase))
                .OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => (n.Id, (NodeState?)n))];
        if (targets.Count == 0) return Invalid($"no node has the tag \"{body.Tag}\"");
        if (targets.Count > MaxBatchNodes) return Invalid($"at most {MaxBatchNodes} nodes per batch");

        var batchId = Guid.NewGuid().ToString("N")[..16];
        var actor = AuditActor.From(http);
        var results = await Task.WhenAll(targets.Select(async target =>
        {
            if (target.Node is not { } node)
                return new ExecResultView { NodeId = target.Id, Status = ExecStatuses.Failed, Error = NodeFailure.UnknownNode(target.Id).Detail };
            var started = await exec.StartAsync(node, request, actor, batchId);
            if (!started.Succeeded)
            {
                return new ExecResultView
                {
                    NodeId = node.Id, NodeName = node.Name, Status = ExecStatuses.Failed, Error = started.Failure.Detail, Lock = started.Failure.Lock,
                };
            }

            return ExecResultView.Of(await started.Value.Completion, node.Name);
        }));
        return TypedResults.Ok(new ExecBatchView(batchId, results));
    }

    private static async Task<Ok<IReadOnlyList<ExecRunSummary>>> HistoryAsync(
        RoutedNode target, ExecService exec, [FromQuery] int? limit, [FromQuery] long? before, CancellationToken ct) =>
        TypedResults.Ok(await exec.HistoryAsync(target.Node.Id, limit ?? 50, before, ct));

    private static async Task<Results<Ok<ExecRunView>, ProblemHttpResult>> GetRunAsync(string runId, ExecService exec, CancellationToken ct) =>
        await exec.FindAsync(runId, ct) is { } run
            ? TypedResults.Ok(ExecRunView.Of(run))
            : ExecService.RunNotFound(runId).ToProblem();

    private static async Task<Results<Accepted, ProblemHttpResult>> CancelAsync(string runId, HttpContext http, ExecService exec, CancellationToken ct) =>
        await exec.CancelAsync(runId, AuditActor.From(http), ct) is { } failure ? failure.ToProblem() : TypedResults.Accepted((string?)null);

    private static ProblemHttpResult Invalid(string detail) => NodeFailure.BadRequest("Invalid command", detail).ToProblem();
}
