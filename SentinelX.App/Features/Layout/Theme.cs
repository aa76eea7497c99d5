namespace SentinelX.App.Features.Layout;

/// <summary>Light, dark or the system's choice; kept in a cookie the page shell reads before any script runs.</summary>
public static class Theme
{
    public const string CookieName = "sx-theme";

    public static bool IsValid(string? choice) => choice is "" or "light" or "dark";

    /// <summary>The browser's own choice, else the default theme from the settings page.</summary>
    public static string Choice(HttpContext? context) =>
        context?.Request.Cookies[CookieName] is { } value && IsValid(value) ? value
        : context?.RequestServices.GetService<Settings.CoreSettings>()?.DefaultTheme ?? "";

    public static void WriteCookie(HttpResponse response, string choice) =>
        response.Cookies.Append(CookieName, choice,
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true });
}
