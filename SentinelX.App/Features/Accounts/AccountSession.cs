using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Layout;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Accounts;

/// <summary>What happens around signing in and out: remembered preferences, safe redirects.</summary>
public static class AccountSession
{
    /// <summary>After a successful sign-in: the account's language and theme become this browser's.</summary>
    public static async Task StartAsync(HttpContext context, string userName)
    {
        var users = context.RequestServices.GetRequiredService<UserManager<SentinelUser>>();
        var user = await users.FindByNameAsync(userName);
        if (user is null) return;
        LocalizationSetup.WriteCultureCookie(context.Response, user.Language);
        Theme.WriteCookie(context.Response, user.Theme);
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
        await context.RequestServices.GetRequiredService<SentinelDb>().Users.Where(u => u.Id == user.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastLoginAt, now), context.RequestAborted);
    }

    /// <summary>
    /// Only paths on this site: a crafted link must not bounce a fresh session elsewhere. After sign-in the
    /// sign-in pages themselves are no destination; a language switch on them returns to them.
    /// </summary>
    public static string SafeReturnUrl(string? returnUrl, bool allowSignInPages = false) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            && (allowSignInPages ? !returnUrl.StartsWith("/account/logout", StringComparison.OrdinalIgnoreCase) : !returnUrl.StartsWith("/account/log", StringComparison.OrdinalIgnoreCase))
            ? returnUrl
            : "/";
}
