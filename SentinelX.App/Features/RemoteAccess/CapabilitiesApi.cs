using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.RemoteAccess;

/// <summary>Both locks of one capability on one Node, as the API and the UI show them.</summary>
public sealed record CapabilityState(string Name, bool Enabled, bool? AllowedByNode, bool Usable);

/// <summary>All capabilities of a Node. <c>allowedByNode</c> is null while the Node has not reported its config.</summary>
public sealed record CapabilitiesView(string NodeId, IReadOnlyList<CapabilityState> Capabilities)
{
    public static CapabilitiesView Of(NodeState node) => new(node.Id, [.. Shared.Protocol.Capabilities.All.Select(c => new CapabilityState(
        c,
        node.Enabled.Contains(c),
        node.Allowed?.Contains(c),
        CapabilityLocks.Check(node, c) is null))]);

    /// <summary>Changes whenever anything this view shows changes; cheap enough to compare on every sample.</summary>
    public static string Signature(NodeState node) =>
        $"{node.Online}|{string.Join(',', node.Enabled.Order(StringComparer.Ordinal))}|{(node.Allowed is null ? "?" : string.Join(',', node.Allowed.Order(StringComparer.Ordinal)))}";
}

/// <summary><c>GET/PUT /api/v1/nodes/{id}/capabilities</c>: reading is for any role, changing for admins.</summary>
public static class CapabilitiesApi
{
    public static IEndpointRouteBuilder MapCapabilitiesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/nodes/{id}/capabilities").WithTags("Capabilities");
        group.MapGet("", Get).RequireAuthorization(Policies.Viewer);
        group.MapPut("", PutAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    private static Results<Ok<CapabilitiesView>, ProblemHttpResult> Get(string id, NodeRegistry registry) =>
        registry.Find(id) is { } node ? TypedResults.Ok(CapabilitiesView.Of(node)) : NotFound(id);

    /// <summary>Body: <c>{"exec":true,"files":false}</c>; capabilities not named keep their state.</summary>
    private static async Task<Results<Ok<CapabilitiesView>, ProblemHttpResult>> PutAsync(
        string id, JsonElement body, HttpContext http, NodeRegistry registry, CapabilityLocks locks, CancellationToken ct)
    {
        if (registry.Find(id) is null) return NotFound(id);
        if (body.ValueKind != JsonValueKind.Object)
            return TypedResults.Problem(title: "Invalid capabilities", detail: "send an object such as {\"exec\":true,\"shell\":false}", statusCode: 400);

        var changes = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (!Shared.Protocol.Capabilities.IsKnown(property.Name))
            {
                return TypedResults.Problem(title: "Invalid capabilities",
                    detail: $"unknown capability \"{property.Name}\"; known: {string.Join(", ", Shared.Protocol.Capabilities.All)}", statusCode: 400);
            }

            if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return TypedResults.Problem(title: "Invalid capabilities", detail: $"\"{property.Name}\" must be true or false", statusCode: 400);
            changes[property.Name] = property.Value.GetBoolean();
        }

        if (await locks.SetAsync(id, changes, AuditActor.From(http), ct) is null) return NotFound(id);
        return TypedResults.Ok(CapabilitiesView.Of(registry.Find(id)!));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(title: "Node not found", detail: $"there is no node with id {id}", statusCode: 404);
}
