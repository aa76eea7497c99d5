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
        var group = app.MapNodeGroup("/capabilities").WithTags("Capabilities");
        group.MapGet("", Get).RequireAuthorization(Policies.Viewer);
        group.MapPut("", PutAsync).RequireAuthorization(Policies.Admin);
        return app;
    }

    private static Ok<CapabilitiesView> Get(RoutedNode target) => TypedResults.Ok(CapabilitiesView.Of(target.Node));

    /// <summary>Body: <c>{"exec":true,"files":false}</c>; capabilities not named keep their state.</summary>
    private static async Task<Results<Ok<CapabilitiesView>, ProblemHttpResult>> PutAsync(
        RoutedNode target, JsonElement body, HttpContext http, CapabilityLocks locks, CancellationToken ct)
    {
        var id = target.Node.Id;
        if (body.ValueKind != JsonValueKind.Object) return Invalid("send an object such as {\"exec\":true,\"shell\":false}");

        var changes = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (!Shared.Protocol.Capabilities.IsKnown(property.Name))
            {
                return Invalid($"unknown capability \"{property.Name}\"; known: {string.Join(", ", Shared.Protocol.Capabilities.All)}");
            }

            if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Invalid($"\"{property.Name}\" must be true or false");
            changes[property.Name] = property.Value.GetBoolean();
        }

        // The Node may have been removed while the request was on its way.
        if (await locks.SetAsync(id, changes, AuditActor.From(http), ct) is null) return NodeFailure.UnknownNode(id).ToProblem();
        return TypedResults.Ok(CapabilitiesView.Of(target.Node));
    }

    private static ProblemHttpResult Invalid(string detail) => NodeFailure.BadRequest("Invalid capabilities", detail).ToProblem();
}
