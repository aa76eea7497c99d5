using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Alerts;

/// <summary>One delivery of an event to a channel, as the API shows it.</summary>
public sealed record AlertDeliveryView(string ChannelId, string Kind, bool Ok, string? Error, int Attempts, DateTimeOffset At);

/// <summary>An event as the API shows it (<c>GET /api/v1/alerts/events</c>).</summary>
public sealed record AlertEventView(
    long Id, string RuleId, string RuleName, string NodeId, string NodeName, string Severity, string Subject, string State,
    double? Value, double? Threshold, string Message, DateTimeOffset StartedAt, DateTimeOffset? ResolvedAt, double? DurationSeconds,
    IReadOnlyList<AlertDeliveryView> Deliveries)
{
    public static AlertEventView From(AlertEventRecord e, long nowMs) => new(
        e.Id, e.RuleId, e.RuleName, e.NodeId, e.NodeName, e.Severity, e.Subject, e.State, e.Value, e.Threshold, e.Message,
        DateTimeOffset.FromUnixTimeMilliseconds(e.StartedAt), e.ResolvedAt is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null,
        ((e.ResolvedAt ?? nowMs) - e.StartedAt) / 1000.0,
        [.. e.Deliveries.OrderBy(d => d.At).Select(d => new AlertDeliveryView(d.ChannelId, d.Kind, d.Ok, d.Error, d.Attempts, DateTimeOffset.FromUnixTimeMilliseconds(d.At)))]);
}

/// <summary>The body of <c>POST /api/v1/alerts/silences</c>.</summary>
public sealed record SilenceInput(string? NodeId, string? RuleId, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string? Reason);

/// <summary>
/// <c>/api/v1/alerts</c>: rules and silences (operators change them, everyone signed in reads
/// them) and events. Channels have their own endpoints (AlertChannelsApi).
/// </summary>
public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/v1/alerts").RequireAuthorization(Policies.Viewer).WithTags("Alerts");
        alerts.MapGet("/rules", (AlertRules rules, CancellationToken ct) => rules.ListAsync(ct));
        alerts.MapPost("/rules", CreateRuleAsync).RequireAuthorization(Policies.Operator);
        alerts.MapGet("/rules/{id}", GetRuleAsync);
        alerts.MapPut("/rules/{id}", UpdateRuleAsync).RequireAuthorization(Policies.Operator);
        alerts.MapDelete("/rules/{id}", DeleteRuleAsync).RequireAuthorization(Policies.Operator);
        alerts.MapGet("/events", EventsAsync);
        alerts.MapGet("/silences", (AlertSilences silences) => silences.Active());
        alerts.MapPost("/silences", CreateSilenceAsync).RequireAuthorization(Policies.Operator);
        alerts.MapDelete("/silences/{id}", DeleteSilenceAsync).RequireAuthorization(Policies.Operator);
        return app;
    }

    private static async Task<Results<Created<AlertRuleView>, ValidationProblem>> CreateRuleAsync(
        JsonElement body, AlertRules rules, HttpContext http, CancellationToken ct)
    {
        var (input, errors) = await ParseAsync(body, rules, ct);
        if (input is null) return TypedResults.ValidationProblem(errors, title: "Invalid alert rule");
        var view = await rules.CreateAsync(input, AuditActor.From(http), ct);
        return TypedResults.Created($"/api/v1/alerts/rules/{view.Id}", view);
    }

    private static async Task<Results<Ok<AlertRuleView>, ProblemHttpResult>> GetRuleAsync(string id, AlertRules rules, CancellationToken ct) =>
        await rules.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : NotFound(id);

    private static async Task<Results<Ok<AlertRuleView>, ValidationProblem, ProblemHttpResult>> UpdateRuleAsync(
        string id, JsonElement body, AlertRules rules, HttpContext http, CancellationToken ct)
    {
        var (input, errors) = await ParseAsync(body, rules, ct);
        if (input is null) return TypedResults.ValidationProblem(errors, title: "Invalid alert rule");
        return await rules.UpdateAsync(id, input, AuditActor.From(http), ct) is { } view ? TypedResults.Ok(view) : NotFound(id);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteRuleAsync(string id, AlertRules rules, HttpContext http, CancellationToken ct) =>
        await rules.DeleteAsync(id, AuditActor.From(http), ct) ? TypedResults.NoContent() : NotFound(id);

    private static async Task<(AlertRuleInput?, Dictionary<string, string[]>)> ParseAsync(JsonElement body, AlertRules rules, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var input = AlertRuleInput.Parse(body, errors);
        if (input is not null && await rules.UnknownChannelsAsync(input, ct) is { Count: > 0 } unknown)
        {
            errors["channels"] = [$"no such channel: {string.Join(", ", unknown)}"];
            input = null;
        }

        return (input, errors);
    }

    /// <summary>Newest first; <c>rule</c>, <c>node</c>, <c>state</c> (firing|resolved) and <c>severity</c> filter, <c>limit</c> caps (1–1000, 200 by default).</summary>
    private static async Task<Results<Ok<List<AlertEventView>>, ValidationProblem>> EventsAsync(
        string? rule, string? node, string? state, string? severity, int? limit, AlertEventQuery events, CancellationToken ct)
    {
        var filter = new AlertEventFilter(rule, node, state, severity, limit ?? 200);
        if (filter.Validate() is { Count: > 0 } errors) return TypedResults.ValidationProblem(errors, title: "Invalid event filter");
        return TypedResults.Ok(await events.ListAsync(filter, ct));
    }

    private static async Task<Results<Created<AlertSilenceView>, ValidationProblem>> CreateSilenceAsync(
        SilenceInput? input, AlertSilences silences, NodeRegistry nodes, AlertEngine engine, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        if (input is null) errors[""] = ["send {\"nodeId\"?, \"ruleId\"?, \"startsAt\"?, \"endsAt\", \"reason\"?}"];
        else
        {
            if (input.NodeId is not null && nodes.Find(input.NodeId) is null) errors["nodeId"] = ["no such node"];
            if (input.RuleId is not null && engine.Rules.All(r => r.Id != input.RuleId)) errors["ruleId"] = ["no such rule"];
            if (input.EndsAt is not { } ends) errors["endsAt"] = ["endsAt is required (ISO 8601)"];
            else if (ends <= now || ends > now.AddYears(1)) errors["endsAt"] = ["endsAt must be in the future and within a year"];
            else if (input.StartsAt is { } starts && starts >= ends) errors["startsAt"] = ["startsAt must be before endsAt"];
            if (input.Reason is { Length: > 200 } || input.Reason?.Any(char.IsControl) == true) errors["reason"] = ["reason must be at most 200 characters without control characters"];
        }

        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid maintenance window");
        var view = await silences.CreateAsync(input!.NodeId, input.RuleId, input.StartsAt, input.EndsAt!.Value, input.Reason ?? "", AuditActor.From(http), ct);
        return TypedResults.Created($"/api/v1/alerts/silences/{view.Id}", view);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteSilenceAsync(string id, AlertSilences silences, HttpContext http, CancellationToken ct) =>
        await silences.DeleteAsync(id, AuditActor.From(http), ct) ? TypedResults.NoContent() : NotFound(id);

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Not found", detail: $"no alert rule or window with id {id}", statusCode: StatusCodes.Status404NotFound);
}
