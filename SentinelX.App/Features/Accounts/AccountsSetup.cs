using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Accounts;

public static class AccountsSetup
{
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication().AddIdentityCookies();
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "sx-auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/denied";
            o.ExpireTimeSpan = TimeSpan.FromDays(14);
            o.SlidingExpiration = true;
        });
        builder.Services.AddSentinelIdentity()
            .AddSignInManager()
            .AddClaimsPrincipalFactory<SentinelClaimsFactory>()
            .AddErrorDescriber<LocalizedIdentityErrors>();
        // A demoted or deleted user's cookie stops working within seconds, not at its next minute.
        builder.Services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = AccountSessions.CheckInterval);
        builder.Services.AddSingleton<AccountSessions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AccountSessions>());
        builder.Services.AddSingleton<SetupState>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<SignInAudit>();
        builder.Services.AddSingleton<ResumeTickets>();
        builder.Services.AddScoped<Users.UserAdmin>();
        builder.Services.AddScoped<Tokens.TokenAdmin>();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<AuthenticationStateProvider, RevalidatingIdentityStateProvider>();
        return builder;
    }

    /// <summary>Users, passwords and authenticator keys in the database; also used by <c>sentinelx user</c>.</summary>
    public static IdentityBuilder AddSentinelIdentity(this IServiceCollection services) =>
        services.AddIdentityCore<SentinelUser>(o =>
            {
                // Length beats composition rules (NIST SP 800-63B §5.1.1.2).
                o.Password.RequiredLength = 10;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.MaxFailedAccessAttempts = 10;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@+";
            })
            .AddEntityFrameworkStores<SentinelDb>()
            .AddDefaultTokenProviders();

    /// <summary>
    /// Until the first admin exists, every UI page leads to the setup page. Public status pages do
    /// not: a Core run through the API alone (CLI-made tokens, no UI user) still serves them.
    /// </summary>
    public static WebApplication UseFirstRunSetup(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (IsPageRequest(context.Request)
                && !context.Request.Path.StartsWithSegments("/setup")
                && !context.Request.Path.StartsWithSegments("/account/preferences")
                && !context.Request.Path.StartsWithSegments("/status")
                && !await context.RequestServices.GetRequiredService<SetupState>().IsCompleteAsync(context.RequestServices, context.RequestAborted))
            {
                context.Response.Redirect("/setup");
                return;
            }
            await next(context);
        });
        return app;
    }

    /// <summary>A browser navigating to a page (not an API call, a download or a static file).</summary>
    private static bool IsPageRequest(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
        && !Auth.AuthExtensions.IsTokenPath(request.Path)
        && !Path.HasExtension(request.Path.Value);
}

/// <summary>Puts the user's role on the sign-in cookie, so every page and action can check it.</summary>
public sealed class SentinelClaimsFactory(UserManager<SentinelUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<SentinelUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(SentinelUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(ClaimTypes.Role, user.Role));
        return identity;
    }
}
