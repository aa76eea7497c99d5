using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Docker;

/// <summary><c>/api/v1/nodes/{id}/docker/...</c>: operators and admins, on Nodes where both docker locks are open.</summary>
public static class DockerApi
{
    public static IEndpointRouteBuilder MapDockerApi(this IEndpointRouteBuilder app)
    {
        var docker = app.MapGroup("/api/v1/nodes/{id}/docker").WithTags("Docker").RequireAuthorization(Policies.Operator);
        docker.MapGet("", InfoAsync);
        docker.MapGet("/containers", ContainersAsync);
        docker.MapGet("/images", ImagesAsync);
        docker.MapPost("/containers/{cid}/{action:regex(^(start|stop|restart)$)}", ActAsync);
        docker.MapDelete("/containers/{cid}", RemoveAsync);
        docker.MapGet("/containers/{cid}/logs", LogsAsync);
        return app;
    }

    /// <summary>Whether Docker runs on the Node; <c>available: false</c> with the reason is a normal answer, not an error.</summary>
    private static async Task<Results<Ok<DockerInfo>, ProblemHttpResult>> InfoAsync(string id, NodeRegistry registry, DockerOperations docker, CancellationToken ct) =>
        registry.Find(id) is not { } node ? NodeNotFound(id) : Answer(await docker.InfoAsync(node, ct));

    private static async Task<Results<Ok<DockerContainerList>, ProblemHttpResult>> ContainersAsync(string id, NodeRegistry registry, DockerOperations docker, CancellationToken ct) =>
        registry.Find(id) is not { } node ? NodeNotFound(id) : Answer(await docker.ContainersAsync(node, ct));

    private static async Task<Results<Ok<DockerImageList>, ProblemHttpResult>> ImagesAsync(string id, NodeRegistry registry, DockerOperations docker, CancellationToken ct) =>
        registry.Find(id) is not { } node ? NodeNotFound(id) : Answer(await docker.ImagesAsync(node, ct));

    private static async Task<Results<Ok<DockerActionResult>, ProblemHttpResult>> ActAsync(
        string id, string cid, string action, HttpContext http, NodeRegistry registry, DockerOperations docker, CancellationToken ct) =>
        registry.Find(id) is not { } node ? NodeNotFound(id) : Answer(await docker.ActAsync(node, cid, action, false, AuditActor.From(http), ct));

    /// <summary><c>?force=true</c> removes a running container (the engine kills it first); without it a running one is a 409.</summary>
    private static async Task<Results<Ok<DockerActionResult>, ProblemHttpResult>> RemoveAsync(
        string id, string cid, bool? force, HttpContext http, NodeRegistry registry, DockerOperations docker, CancellationToken ct) =>
        registry.Find(id) is not { } node ? NodeNotFound(id) : Answer(await docker.ActAsync(node, cid, DockerNames.Remove, force ?? false, AuditActor.From(http), ct));

    /// <summary>The log as text/plain, streamed as it arrives; with <c>follow=true</c> the response stays open until the client leaves.</summary>
    private static async Task<IResult> LogsAsync(
        string id, string cid, int? tail, bool? follow, HttpContext http, NodeRegistry registry, DockerOperations docker, CancellationToken ct)
    {
        if (registry.Find(id) is not { } node) return NodeNotFound(id);
        var opened = await docker.OpenLogsAsync(node, cid, tail ?? 200, follow ?? false, ct);
        if (opened.Value is not { } log) return opened.Failure!.ToProblem();

        using (log)
        {
            http.Response.ContentType = "text/plain; charset=utf-8";
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.StartAsync(ct);
            try
            {
                await log.ReadAsync(async (bytes, token) =>
                {
                    await http.Response.Body.WriteAsync(bytes, token);
                    await http.Response.Body.FlushAsync(token);
                }, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client left; that is how a follow ends.
            }
        }

        return Results.Empty;
    }

    private static Results<Ok<T>, ProblemHttpResult> Answer<T>(DockerOutcome<T> outcome) =>
        outcome.Value is { } value ? TypedResults.Ok(value) : outcome.Failure!.ToProblem();

    private static ProblemHttpResult NodeNotFound(string id) =>
        TypedResults.Problem(title: "Node not found", detail: $"there is no node with id {id}", statusCode: 404);
}
