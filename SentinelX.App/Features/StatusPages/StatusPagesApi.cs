using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;

namespace SentinelX.App.Features.StatusPages;

/// <summary>
/// <c>/api/v1/status-pages</c>: admins define the public pages (<c>PUT /{slug}</c> creates or
/// replaces one) and write their incident notes. The pages themselves are served at <c>/status</c>.
/// </summary>
public static class StatusPagesApi
{
    public static IEndpointRouteBuilder MapStatusPagesApi(this IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/api/v1/status-pages").RequireAuthorization(Policies.Admin).WithTags("Status pages");
        pages.MapGet("", (StatusPageService service, CancellationToken ct) => service.ListAsync(ct));
        pages.MapGet("/{slug}", GetAsync);
        pages.MapPut("/{slug}", PutAsync);
        pages.MapDelete("/{slug}", DeleteAsync);
        pages.MapPost("/{slug}/incidents", CreateIncidentAsync);
        pages.MapPut("/{slug}/incidents/{id}", UpdateIncidentAsync);
        pages.MapDelete("/{slug}/incidents/{id}", DeleteIncidentAsync);
        return app;
    }

    private static async Task<Results<Ok<StatusPageView>, ProblemHttpResult>> GetAsync(string slug, StatusPageService service, CancellationToken ct) =>
        await service.GetAsync(slug, ct) is { } view ? TypedResults.Ok(view) : PageNotFound(slug);

    private static async Task<Results<Ok<StatusPageView>, Created<StatusPageView>, ValidationProblem>> PutAsync(
        string slug, JsonElement body, StatusPageService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (StatusPageInput.Parse(body, errors) is not { } input) return TypedResults.ValidationProblem(errors, title: "Invalid status page");
        var (edit, created) = await service.PutAsync(slug, input, AuditActor.From(http), ct);
        if (edit.Value is not { } view) return TypedResults.ValidationProblem(edit.Errors, title: "Invalid status page");
        return created ? TypedResults.Created($"/api/v1/status-pages/{slug}", view) : TypedResults.Ok(view);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string slug, StatusPageService service, HttpContext http, CancellationToken ct) =>
        await service.DeleteAsync(slug, AuditActor.From(http), ct) ? TypedResults.NoContent() : PageNotFound(slug);

    private static async Task<Results<Created<StatusIncidentView>, ValidationProblem, ProblemHttpResult>> CreateIncidentAsync(
        string slug, JsonElement body, StatusPageService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (StatusIncidentInput.Parse(body, errors) is not { } input) return TypedResults.ValidationProblem(errors, title: "Invalid incident");
        var edit = await service.CreateIncidentAsync(slug, input, AuditActor.From(http), ct);
        if (edit.Value is { } view) return TypedResults.Created($"/api/v1/status-pages/{slug}/incidents/{view.Id}", view);
        return edit.Errors.Count > 0 ? TypedResults.ValidationProblem(edit.Errors, title: "Invalid incident") : PageNotFound(slug);
    }

    private static async Task<Results<Ok<StatusIncidentView>, ValidationProblem, ProblemHttpResult>> UpdateIncidentAsync(
        string slug, string id, JsonElement body, StatusPageService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (StatusIncidentInput.Parse(body, errors) is not { } input) return TypedResults.ValidationProblem(errors, title: "Invalid incident");
        var edit = await service.UpdateIncidentAsync(slug, id, input, AuditActor.From(http), ct);
        if (edit.Value is { } view) return TypedResults.Ok(view);
        return edit.Errors.Count > 0 ? TypedResults.ValidationProblem(edit.Errors, title: "Invalid incident") : IncidentNotFound(slug, id);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteIncidentAsync(
        string slug, string id, StatusPageService service, HttpContext http, CancellationToken ct) =>
        await service.DeleteIncidentAsync(slug, id, AuditActor.From(http), ct) ? TypedResults.NoContent() : IncidentNotFound(slug, id);

    private static ProblemHttpResult PageNotFound(string slug) =>
        TypedResults.Problem(title: "Status page not found", detail: $"there is no status page '{Echo(slug)}'", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult IncidentNotFound(string slug, string id) =>
        TypedResults.Problem(title: "Incident not found", detail: $"status page '{Echo(slug)}' has no incident {Echo(id)}", statusCode: StatusCodes.Status404NotFound);

    /// <summary>A requested name as it may appear in an answer: short, one line.</summary>
    private static string Echo(string text)
    {
        var clean = new string([.. text.Where(c => !char.IsControl(c)).Take(60)]);
        return text.Length > 60 ? clean + "…" : clean;
    }
}
