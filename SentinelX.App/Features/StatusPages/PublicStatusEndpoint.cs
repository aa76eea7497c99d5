using SentinelX.App.Features.Localization;

namespace SentinelX.App.Features.StatusPages;

/// <summary>
/// <c>GET /status</c> (the <c>default</c> page) and <c>GET /status/{slug}</c>: open to everyone, plain
/// HTML from <see cref="StatusPageCache"/>, never a circuit. An unknown or private slug gets the same 404.
/// </summary>
public static class PublicStatusEndpoint
{
    public const string CacheControl = "public, max-age=30";

    // The page has no script and loads only its own stylesheet and icon.
    private const string ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

    public static IEndpointRouteBuilder MapPublicStatus(this IEndpointRouteBuilder app)
    {
        app.MapGet("/status", (HttpContext http, StatusPageCache cache) => ServeAsync(http, cache, StatusPageInput.DefaultSlug))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/status/{slug}", (string slug, HttpContext http, StatusPageCache cache) => ServeAsync(http, cache, slug))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task ServeAsync(HttpContext http, StatusPageCache cache, string slug)
    {
        var language = Language(http.Request);
        var page = StatusPageInput.IsSlug(slug) ? await cache.GetAsync(slug, http.RequestAborted) : null;
        var response = http.Response;
        var headers = response.Headers;
        headers.ContentType = "text/html; charset=utf-8";
        headers.Vary = "Accept-Encoding, Accept-Language";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        if (page is null)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            headers.CacheControl = "no-cache";
            await response.Body.WriteAsync(await cache.NotFoundAsync(language), http.RequestAborted);
            return;
        }

        var body = page.For(language).For(http.Request.GetTypedHeaders().AcceptEncoding);
        headers.CacheControl = CacheControl;
        headers.ETag = body.ETag;
        if (http.Request.Headers.IfNoneMatch == body.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        if (body.Encoding is { } encoding) headers.ContentEncoding = encoding;
        headers.ContentLength = body.Bytes.Length;
        await response.Body.WriteAsync(body.Bytes, http.RequestAborted);
    }

    /// <summary><c>?lang=en|zh-CN</c>, else the browser's first language we speak, else English. The culture cookie is ignored: the response varies by Accept-Language only.</summary>
    internal static string Language(HttpRequest request)
    {
        if (Pick(request.Query["lang"].ToString()) is { } chosen) return chosen;
        var accepted = request.GetTypedHeaders().AcceptLanguage;
        foreach (var language in accepted.OrderByDescending(l => l.Quality ?? 1))
        {
            if (language.Quality is 0) continue;
            if (Pick(language.Value.Value) is { } match) return match;
        }

        return UiText.English;
    }

    private static string? Pick(string? tag) =>
        tag is null ? null
        : tag.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? UiText.Chinese
        : tag.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? UiText.English
        : null;
}
