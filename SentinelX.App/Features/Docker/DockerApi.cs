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
        var docker = app.MapNodeGroup("/docker").WithTags("Docker").RequireAuthorization(Policies.Operator);
        docker.MapGet("", InfoAsync);
        docker.MapGet("/containers", ContainersAsync);
        docker.MapGet("/images", ImagesAsync);
        docker.MapPost("/containers/{cid}/{action:regex(^(start|stop|restart)$)}", ActAsync);
        docker.MapDelete("/containers/{cid}", RemoveAsync);
        docker.MapGet("/containers/{cid}/logs", LogsAsync);
        return app;
    }

    /// <summary>Whether Docker runs on the Node; <c>available: false</c> with the reason is a normal answer, not an error.</summary>
    private static async Task<Results<Ok<DockerInfo>, ProblemHttpResult>> InfoAsync(RoutedNode target, DockerOperations docker, CancellationToken ct) =>
        (await docker.InfoAsync(target.Node, ct)).ToHttp();

    private static async Task<Results<Ok<DockerContainerList>, ProblemHttpResult>> ContainersAsync(RoutedNode target, DockerOperations docker, CancellationToken ct) =>
        (await docker.ContainersAsync(target.Node, ct)).ToHttp();

    private static async Task<Results<Ok<DockerImageList>, ProblemHttpResult>> ImagesAsync(RoutedNode target, DockerOperations docker, CancellationToken ct) =>
        (await docker.ImagesAsync(target.Node, ct)).ToHttp();

    private static async Task<Results<Ok<DockerActionResult>, ProblemHttpResult>> ActAsync(
        RoutedNode target, string cid, string action, HttpContext http, DockerOperations docker, CancellationToken ct) =>
        (await docker.ActAsync(target.Node, cid, action, false, AuditActor.From(http), ct)).ToHttp();

    /// <summary><c>?force=true</c> removes a running container (the engine kills it first); without it a running one is a 409.</summary>
    private static async Task<Results<Ok<DockerActionResult>, ProblemHttpResult>> RemoveAsync(
        RoutedNode target, string cid, bool? force, HttpContext http, DockerOperations docker, CancellationToken ct) =>
        (await docker.ActAsync(target.Node, cid, DockerNames.Remove, force ?? false, AuditActor.From(http), ct)).ToHttp();

    /// <summary>The log as text/plain, streamed as it arrives; with <c>follow=true</c> the response stays open until the client leaves.</summary>
    private static async Task<IResult> LogsAsync(
        RoutedNode target, string cid, int? tail, bool? follow, HttpContext http, DockerOperations docker, CancellationToken ct)
    {
        var opened = await docker.OpenLogsAsync(target.Node, cid, tail ?? 200, follow ?? false, ct);
        if (!opened.Succeeded) return opened.Failure.ToProblem();

        using (var log = opened.Value)
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
}
