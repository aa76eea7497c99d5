using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace SentinelX.App.Features.Localization;

public static class LocalizationSetup
{
    public static WebApplicationBuilder AddUiLocalization(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UiText>();
        builder.Services.Configure<RequestLocalizationOptions>(o =>
        {
            CultureInfo[] cultures = [new(UiText.English), new(UiText.Chinese)];
            o.DefaultRequestCulture = new RequestCulture(UiText.English);
            o.SupportedCultures = cultures;
            o.SupportedUICultures = cultures;
            // The account's choice (kept in the culture cookie) wins over the browser's languages.
            o.RequestCultureProviders = [new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });
        return builder;
    }

    /// <summary>Remembers <paramref name="language"/> for this browser.</summary>
    public static void WriteCultureCookie(HttpResponse response, string language) =>
        response.Cookies.Append(
            CookieRequestCultureProvider.DefaultCookieName,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(language)),
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true });
}
