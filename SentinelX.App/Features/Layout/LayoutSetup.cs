using Radzen;

namespace SentinelX.App.Features.Layout;

/// <summary>The browser UI: Blazor Server components, Radzen, static files.</summary>
public static class LayoutSetup
{
    public static WebApplicationBuilder AddLayout(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents(o =>
            o.DetailedErrors = builder.Environment.IsDevelopment());
        builder.Services.AddRadzenComponents();
        builder.Services.AddScoped<BrowserClock>();
        builder.Services.AddAntiforgery(o => o.Cookie.Name = "sx-csrf");
        return builder;
    }

    public static WebApplication MapLayout(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
