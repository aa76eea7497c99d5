namespace SentinelX.App.Features.Health;

/// <summary><c>GET /api/v1/health</c>: no auth, for load balancers and install scripts.</summary>
public static class HealthApi
{
    public sealed record HealthView(string Status, string Version);

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/health", () => new HealthView("ok", AppInfo.Version)).AllowAnonymous().WithTags("Health");
        return app;
    }
}
