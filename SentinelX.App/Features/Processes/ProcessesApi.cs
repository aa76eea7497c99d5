using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Processes;

/// <summary><c>GET /api/v1/nodes/{id}/processes?top=20&amp;sort=cpu|memory</c>: anyone who may see the Node.</summary>
public static class ProcessesApi
{
    public static IEndpointRouteBuilder MapProcessesApi(this IEndpointRouteBuilder app)
    {
        app.MapNodeGroup("/processes").WithTags("Processes").RequireAuthorization(Policies.Viewer)
            .MapGet("", TopAsync);
        return app;
    }

    /// <summary>
    /// Highest first. The query is read as text so that <c>top=abc</c> gets the same problem, naming the
    /// field, as <c>top=0</c>; left out, top is 20 and sort is cpu.
    /// </summary>
    private static async Task<Results<Ok<IReadOnlyList<ProcessInfo>>, ProblemHttpResult>> TopAsync(
        RoutedNode target, string? top, string? sort, NodeProcesses processes, CancellationToken ct)
    {
        var count = ProcessNames.DefaultTop;
        if (top is not null && !int.TryParse(top, NumberStyles.None, CultureInfo.InvariantCulture, out count)) count = 0;
        var outcome = await processes.TopAsync(target.Node, count, sort ?? ProcessNames.Cpu, ct);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value.Processes) : outcome.Failure.ToProblem();
    }
}
