using Microsoft.AspNetCore.Authorization;

namespace SentinelX.App.Features.Auth;

/// <summary>Authorization policies by role. Every API endpoint names one; nothing is open by accident.</summary>
public static class Policies
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";
}

public static class AuthExtensions
{
    private const string RouteByPath = "sentinelx";

    /// <summary>Paths authenticated by API token rather than by the UI's cookie.</summary>
    public static bool IsTokenPath(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    public static WebApplicationBuilder AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TokenUsageThrottle>();
        builder.Services.AddScoped<TokenService>();
        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = RouteByPath;
                o.DefaultChallengeScheme = RouteByPath;
                o.DefaultForbidScheme = RouteByPath;
            })
            // The API and /metrics take bearer tokens only, so a browser's cookie can never be replayed
            // against them cross-site; the UI takes the sign-in cookie only.
            .AddPolicyScheme(RouteByPath, "API token or sign-in cookie", o => o.ForwardDefaultSelector = context =>
                IsTokenPath(context.Request.Path) ? TokenAuthenticationHandler.SchemeName : Microsoft.AspNetCore.Identity.IdentityConstants.ApplicationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Viewer, p => p.RequireRole(Roles.Admin, Roles.Operator, Roles.Viewer))
            .AddPolicy(Policies.Operator, p => p.RequireRole(Roles.Admin, Roles.Operator))
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            // Endpoints that forget to name a policy are closed, not open.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }
}
