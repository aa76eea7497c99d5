namespace SentinelX.App.Features.Nodes;

/// <summary>
/// The one place <c>/api/v1/nodes/{id}/...</c> turns its id into a Node. Groups made here look the
/// Node up once, before any handler runs, and answer an unknown id with the same 404 problem
/// (<see cref="NodeFailure.UnknownNode"/>) whatever the feature. Handlers take a
/// <see cref="RoutedNode"/> parameter to get it.
/// </summary>
public static class NodeRoutes
{
    public const string Prefix = "/api/v1/nodes/{id}";

    /// <summary>A group under <c>/api/v1/nodes/{id}</c> plus <paramref name="path"/> whose endpoints only run for a known Node.</summary>
    public static RouteGroupBuilder MapNodeGroup(this IEndpointRouteBuilder app, string path = "") =>
        app.MapGroup(Prefix + path).RequireKnownNode();

    /// <summary>For a group whose pattern already holds <c>{id}</c>.</summary>
    public static RouteGroupBuilder RequireKnownNode(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(static async (context, next) =>
            RoutedNode.Resolve(context.HttpContext) is null
                ? NodeFailure.UnknownNode(context.HttpContext.GetRouteValue("id") as string).ToProblem()
                : await next(context));
        return group;
    }
}

/// <summary>
/// The Node a route's <c>{id}</c> names. Binding never fails (an unknown id must reach the group's
/// filter, which answers 404); inside a handler <see cref="Node"/> is always set.
/// </summary>
public sealed class RoutedNode
{
    private readonly NodeState? _node;

    private RoutedNode(NodeState? node) => _node = node;

    public NodeState Node => _node ?? throw new InvalidOperationException("the route's node was not resolved; map the endpoint with NodeRoutes");

    public static ValueTask<RoutedNode?> BindAsync(HttpContext http) => ValueTask.FromResult<RoutedNode?>(new RoutedNode(Resolve(http)));

    /// <summary>The Node for the request's <c>{id}</c>, looked up once per request; null when there is none.</summary>
    internal static NodeState? Resolve(HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(RoutedNode), out var found)) return found as NodeState;
        var node = http.GetRouteValue("id") is string { Length: > 0 } id
            ? http.RequestServices.GetRequiredService<NodeRegistry>().Find(id)
            : null;
        http.Items[typeof(RoutedNode)] = node;
        return node;
    }
}
