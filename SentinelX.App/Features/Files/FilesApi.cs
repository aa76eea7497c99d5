using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Files;

/// <summary>The upload's answer: where the file is and how big it is now.</summary>
public sealed record FileWritten(string Path, long Size);

/// <summary>
/// <c>/api/v1/nodes/{id}/files</c> for API tokens, and <c>/ui/files/{id}</c> for the signed-in
/// browser (download, and upload with an antiforgery header). Operators and admins only; both locks
/// are checked on every request.
/// </summary>
public static class FilesApi
{
    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/nodes/{id}/files").WithTags("Files").RequireAuthorization(Policies.Operator);
        api.MapGet("", ListAsync);
        api.MapDelete("", DeleteAsync);
        api.MapPost("/mkdir", MkdirAsync);
        api.MapPost("/rename", RenameAsync);
        api.MapPost("/chmod", ChmodAsync);
        api.MapGet("/content", DownloadAsync);
        api.MapPut("/content", UploadAsync);

        // The browser's cookie does not open /api; these two carry the bytes the circuit cannot.
        var ui = app.MapGroup("/ui/files/{id}").ExcludeFromDescription().RequireAuthorization(Policies.Operator);
        ui.MapGet("/content", DownloadAsync);
        ui.MapPut("/content", UiUploadAsync);
        return app;
    }

    private static Task<IResult> ListAsync(string id, string? path, HttpContext http, NodeRegistry registry, FilesService files) =>
        RunAsync(id, registry, path ?? "/", node => files.RunAsync(node, AuditActor.From(http), null, path ?? "/",
            c => c.ListAsync(node, path ?? "", http.RequestAborted)));

    private static Task<IResult> DeleteAsync(string id, string? path, bool? recursive, HttpContext http, NodeRegistry registry, FilesService files) =>
        RunAsync(id, registry, path, node => files.RunAsync(node, AuditActor.From(http), AuditActions.FileDelete, path!,
            c => c.DeleteAsync(node, path!, recursive == true, http.RequestAborted), _ => recursive == true ? "recursive" : null));

    private static Task<IResult> MkdirAsync(string id, FilesMkdirParams body, HttpContext http, NodeRegistry registry, FilesService files) =>
        RunAsync(id, registry, body.Path, node => files.RunAsync(node, AuditActor.From(http), AuditActions.FileMkdir, body.Path,
            c => c.MkdirAsync(node, body.Path, http.RequestAborted)));

    private static Task<IResult> RenameAsync(string id, FilesRenameParams body, HttpContext http, NodeRegistry registry, FilesService files) =>
        RunAsync(id, registry, body.From, node => files.RunAsync(node, AuditActor.From(http), AuditActions.FileRename, body.From,
            c => c.RenameAsync(node, body.From, body.To, http.RequestAborted), _ => "to " + body.To));

    private static Task<IResult> ChmodAsync(string id, FilesChmodParams body, HttpContext http, NodeRegistry registry, FilesService files) =>
        RunAsync(id, registry, body.Path, node => files.RunAsync(node, AuditActor.From(http), AuditActions.FileChmod, body.Path,
            c => c.ChmodAsync(node, body.Path, body.Mode, http.RequestAborted), _ => "mode " + body.Mode));

    /// <summary>Streams the file straight from the Node's data stream into the response; nothing is buffered whole.</summary>
    private static async Task<IResult> DownloadAsync(string id, string? path, HttpContext http, NodeRegistry registry, FilesService files)
    {
        if (registry.Find(id) is not { } node) return NodeNotFound(id);
        if (string.IsNullOrEmpty(path)) return MissingPath();
        var actor = AuditActor.From(http);
        FileDownload download;
        try
        {
#pragma warning disable CA2000 // disposed by the using block below
            download = await files.RunAsync(node, actor, AuditActions.FileRead, path,
                c => c.OpenReadAsync(node, path, 0, http.RequestAborted), d => $"{d.Size} bytes");
#pragma warning restore CA2000
        }
        catch (FilesException ex)
        {
            return ex.ToProblem();
        }

        using (download)
        {
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            http.Response.ContentType = "application/octet-stream";
            http.Response.ContentLength = download.Length;
            http.Response.Headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment")
            {
                FileNameStar = download.FileName,
            }.ToString();
            try
            {
                await download.CopyToAsync(http.Response.Body, http.RequestAborted);
            }
            catch (Exception ex) when (ex is IOException or FilesException or OperationCanceledException)
            {
                await files.RecordBrokenAsync(node, actor, AuditActions.FileRead, path, ex.Message);
                // Headers are gone already: dropping the connection is how the client learns the body is incomplete.
                http.Abort();
            }
        }

        return Results.Empty;
    }

    private static Task<IResult> UploadAsync(string id, string? path, long? offset, HttpContext http, NodeRegistry registry, FilesService files) =>
        WriteAsync(id, path, offset, http, registry, files);

    private static async Task<IResult> UiUploadAsync(string id, string? path, long? offset, HttpContext http, NodeRegistry registry, FilesService files, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
            return TypedResults.Problem(title: "Invalid request", detail: "the antiforgery token is missing or wrong; reload the page", statusCode: 400);
        return await WriteAsync(id, path, offset, http, registry, files);
    }

    /// <summary>The request body goes to the Node as it arrives; <c>offset</c> continues an interrupted upload.</summary>
    private static async Task<IResult> WriteAsync(string id, string? path, long? offset, HttpContext http, NodeRegistry registry, FilesService files)
    {
        if (registry.Find(id) is not { } node) return NodeNotFound(id);
        if (string.IsNullOrEmpty(path)) return MissingPath();
        if (offset is < 0) return TypedResults.Problem(title: "Invalid request", detail: "offset must not be negative", statusCode: 400);

        // Files of several GB: no request size limit on this endpoint (the bytes are streamed, not held).
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var actor = AuditActor.From(http);
        var at = offset ?? 0;
        try
        {
            var size = await files.RunAsync(node, actor, AuditActions.FileWrite, path,
                c => c.WriteAsync(node, path, at, http.Request.Body, http.RequestAborted), s => $"{s} bytes" + (at > 0 ? $" (resumed at {at})" : ""));
            return TypedResults.Ok(new FileWritten(path, size));
        }
        catch (FilesException ex)
        {
            return ex.ToProblem();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            await files.RecordBrokenAsync(node, actor, AuditActions.FileWrite, path, "upload interrupted: " + ex.Message);
            return TypedResults.Problem(title: "Upload interrupted", detail: ex.Message, statusCode: 400);
        }
    }

    private static async Task<IResult> RunAsync<T>(string id, NodeRegistry registry, string? path, Func<NodeState, Task<T>> operation)
    {
        if (registry.Find(id) is not { } node) return NodeNotFound(id);
        if (string.IsNullOrEmpty(path)) return MissingPath();
        try
        {
            return TypedResults.Ok(await operation(node));
        }
        catch (FilesException ex)
        {
            return ex.ToProblem();
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NodeNotFound(string id) =>
        TypedResults.Problem(title: "Node not found", detail: $"there is no node with id {id}", statusCode: 404);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult MissingPath() =>
        TypedResults.Problem(title: "Invalid request", detail: "path is required, e.g. ?path=/var/log", statusCode: 400);
}
