using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Alerts.Channels;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;

namespace SentinelX.App.Features.Alerts;

/// <summary>
/// <c>/api/v1/alerts/channels</c>: operators list them (secrets redacted); admins create, change,
/// delete and test them, since a channel holds credentials and decides where alerts go.
/// </summary>
public static class AlertChannelsApi
{
    public static IEndpointRouteBuilder MapAlertChannelsApi(this IEndpointRouteBuilder app)
    {
        var channels = app.MapGroup("/api/v1/alerts/channels").RequireAuthorization(Policies.Operator).WithTags("Alerts");
        channels.MapGet("", (AlertChannelStore store, CancellationToken ct) => store.ListAsync(ct));
        channels.MapGet("/types", () => ChannelConfigParser.Types);
        channels.MapPost("", CreateAsync).RequireAuthorization(Policies.Admin);
        channels.MapGet("/{id}", GetAsync);
        channels.MapPut("/{id}", UpdateAsync).RequireAuthorization(Policies.Admin);
        channels.MapDelete("/{id}", DeleteAsync).RequireAuthorization(Policies.Admin);
        channels.MapPost("/{id}/test", TestAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    private static async Task<Results<Created<AlertChannelView>, ValidationProblem>> CreateAsync(
        AlertChannelInput input, AlertChannelStore store, HttpContext http, CancellationToken ct)
    {
        var saved = await store.CreateAsync(input, AuditActor.From(http), ct);
        return saved.Channel is { } channel
            ? TypedResults.Created($"/api/v1/alerts/channels/{channel.Id}", channel)
            : TypedResults.ValidationProblem(saved.Errors, title: "Invalid channel");
    }

    private static async Task<Results<Ok<AlertChannelView>, ProblemHttpResult>> GetAsync(string id, AlertChannelStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } channel ? TypedResults.Ok(channel) : NotFound(id);

    private static async Task<Results<Ok<AlertChannelView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string id, AlertChannelInput input, AlertChannelStore store, HttpContext http, CancellationToken ct) =>
        await store.UpdateAsync(id, input, AuditActor.From(http), ct) switch
        {
            null => NotFound(id),
            { Channel: { } channel } => TypedResults.Ok(channel),
            var refused => TypedResults.ValidationProblem(refused.Errors, title: "Invalid channel"),
        };

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, AlertChannelStore store, HttpContext http, CancellationToken ct) =>
        await store.DeleteAsync(id, AuditActor.From(http), ct) ? TypedResults.NoContent() : NotFound(id);

    /// <summary>Sends a sample alert now: 200 with <c>{ok, error, at}</c> whether or not the service took it.</summary>
    private static async Task<Results<Ok<DeliveryResult>, ProblemHttpResult>> TestAsync(string id, AlertChannelStore store, HttpContext http, CancellationToken ct) =>
        await store.TestAsync(id, AuditActor.From(http), ct) is { } result ? TypedResults.Ok(result) : NotFound(id);

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Not found", detail: $"no channel with id {id}", statusCode: StatusCodes.Status404NotFound);
}
