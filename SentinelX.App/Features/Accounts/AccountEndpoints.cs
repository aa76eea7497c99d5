using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Identity;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Layout;

namespace SentinelX.App.Features.Accounts;

/// <summary>The account actions that are plain requests rather than pages: sign out, preferences.</summary>
public static class AccountEndpoints
{
    public static WebApplication MapAccountEndpoints(this WebApplication app)
    {
        app.MapPost("/account/logout", async (HttpContext context, IAntiforgery antiforgery, SignInManager<SentinelUser> signIn) =>
        {
            await antiforgery.ValidateRequestAsync(context);
            if (context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is { } userId) context.RequestServices.GetRequiredService<Terminal.TerminalSessions>().EndAllFor(userId, Terminal.TerminalSessions.Logout);
            await signIn.SignOutAsync();
            return Results.Redirect("/account/login");
        }).AllowAnonymous();

        // Language and theme: kept in cookies (read before the first byte of the page is rendered)
        // and, for a signed-in user, on the account so they follow the user to other devices.
        app.MapGet("/account/preferences", async (HttpContext context, string? language, string? theme, string? returnUrl,
            UserManager<SentinelUser> users) =>
        {
            if (language is not null && !UiText.IsSupported(language))
                return Results.Problem(statusCode: 400, title: "Unknown language", detail: $"supported: {string.Join(", ", UiText.Languages.Select(l => l.Code))}");
            if (theme is not null && !Theme.IsValid(theme))
                return Results.Problem(statusCode: 400, title: "Unknown theme", detail: "use light, dark or an empty value for the system theme");

            if (language is not null) LocalizationSetup.WriteCultureCookie(context.Response, language);
            if (theme is not null) Theme.WriteCookie(context.Response, theme);
            if (context.User.Identity?.IsAuthenticated == true && await users.GetUserAsync(context.User) is { } user)
            {
                user.Language = language ?? user.Language;
                user.Theme = theme ?? user.Theme;
                await users.UpdateAsync(user);
            }
            return Results.LocalRedirect(AccountSession.SafeReturnUrl(returnUrl, allowSignInPages: true));
        }).AllowAnonymous();

        // See ResumeTickets: after the user changed their own password or two-factor setting.
        app.MapGet("/account/resume", async (HttpContext context, string? ticket, string? returnUrl, ResumeTickets tickets,
            UserManager<SentinelUser> users, SignInManager<SentinelUser> signIn, IOptionsMonitor<CookieAuthenticationOptions> cookies,
            IOptions<IdentityOptions> identity) =>
        {
            // The browser's own sign-in cookie, read without the stamp check: the change just made it outdated.
            var options = cookies.Get(IdentityConstants.ApplicationScheme);
            var cookie = options.CookieManager.GetRequestCookie(context, options.Cookie.Name!);
            var session = string.IsNullOrEmpty(cookie) ? null : options.TicketDataFormat.Unprotect(cookie);
            var browser = session?.Principal;
            var user = string.IsNullOrEmpty(ticket) ? null : await tickets.RedeemAsync(ticket, users,
                browser?.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
                browser?.FindFirst(identity.Value.ClaimsIdentity.SecurityStampClaimType)?.Value);
            if (user is null) return Results.Redirect("/account/login");
            await signIn.SignInAsync(user, isPersistent: session?.Properties.IsPersistent == true);
            return Results.LocalRedirect(AccountSession.SafeReturnUrl(returnUrl));
        }).AllowAnonymous();

        app.MapGet("/account/denied", () => Results.Redirect("/denied")).AllowAnonymous();
        return app;
    }
}
