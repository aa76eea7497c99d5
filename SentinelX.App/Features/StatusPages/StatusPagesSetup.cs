namespace SentinelX.App.Features.StatusPages;

public static class StatusPagesSetup
{
    /// <summary>Needs <c>AddStorage</c>, <c>AddNodes</c> and <c>AddAudit</c>: the page definitions, the uptime queries and the public page cache.</summary>
    public static WebApplicationBuilder AddStatusPages(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<StatusPageService>();
        services.AddSingleton<UptimeQuery>();
        services.AddSingleton<StatusPageBuilder>();
        services.AddSingleton<StatusPageCache>();
        return builder;
    }

    /// <summary>The admin API under <c>/api/v1/status-pages</c> and the public <c>/status</c> pages.</summary>
    public static IEndpointRouteBuilder MapStatusPages(this IEndpointRouteBuilder app) => app.MapStatusPagesApi().MapPublicStatus();
}
