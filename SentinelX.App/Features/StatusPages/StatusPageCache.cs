using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Net.Http.Headers;
using SentinelX.App.Features.Localization;

namespace SentinelX.App.Features.StatusPages;

/// <summary>One form of a page as sent: its bytes, its <c>Content-Encoding</c> (null for none) and its ETag.</summary>
public sealed record PageBody(byte[] Bytes, string? Encoding, string ETag);

/// <summary>A page in one language, plain and compressed (gzip, Brotli) once when it is built, so no request compresses.</summary>
public sealed class PageForms
{
    public PageForms(byte[] html)
    {
        var tag = Convert.ToHexStringLower(SHA256.HashData(html))[..20];
        Plain = new PageBody(html, null, $"\"{tag}\"");
        Gzip = new PageBody(Compress(html, s => new GZipStream(s, CompressionLevel.Optimal)), "gzip", $"\"{tag}-gz\"");
        Brotli = new PageBody(Compress(html, s => new BrotliStream(s, CompressionLevel.Optimal)), "br", $"\"{tag}-br\"");
    }

    public PageBody Plain { get; }
    public PageBody Gzip { get; }
    public PageBody Brotli { get; }

    /// <summary>The form for the request's <c>Accept-Encoding</c>: Brotli, else gzip, else plain.</summary>
    public PageBody For(IList<StringWithQualityHeaderValue> accepted)
    {
        bool Accepts(string coding) => accepted.Any(a => a.Value.Equals(coding, StringComparison.OrdinalIgnoreCase) && a.Quality is not 0);
        return Accepts("br") ? Brotli : Accepts("gzip") ? Gzip : Plain;
    }

    private static byte[] Compress(byte[] data, Func<Stream, Stream> compressor)
    {
        using var output = new MemoryStream();
        using (var stream = compressor(output)) stream.Write(data);
        return output.ToArray();
    }
}

/// <summary>A public page ready to send, in each language.</summary>
public sealed record RenderedStatusPage(StatusPageModel Model, PageForms English, PageForms Chinese)
{
    public PageForms For(string language) => language == UiText.Chinese ? Chinese : English;
}

/// <summary>
/// The public pages, built at most once per <see cref="Lifetime"/> per slug and dropped when their
/// definition or incidents change. Requests within the lifetime cost a dictionary lookup; the first
/// request after it starts one rebuild in the background and is still answered with the page it
/// had, so neither a busy page nor a burst of refreshes reaches the database more than that.
/// </summary>
public sealed class StatusPageCache : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _notFound = new(StringComparer.Ordinal);
    private readonly StatusPageService _pages;
    private readonly StatusPageBuilder _builder;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private int _builds;

    public StatusPageCache(StatusPageService pages, StatusPageBuilder builder, IServiceProvider services, ILoggerFactory loggers, TimeProvider time)
    {
        _pages = pages;
        _builder = builder;
        _services = services;
        _loggers = loggers;
        _time = time;
        _log = loggers.CreateLogger<StatusPageCache>();
        _pages.Changed += Invalidate;
    }

    /// <summary>How many times a page model was built (each build reads the database once).</summary>
    public int Builds => Volatile.Read(ref _builds);

    /// <summary>The page at <paramref name="slug"/>, or null when there is no public page there.</summary>
    public async ValueTask<RenderedStatusPage?> GetAsync(string slug, CancellationToken ct)
    {
        if (await _pages.FindPublicAsync(slug, ct) is null) return null;
        return await _entries.GetOrAdd(slug, static s => new Entry(s)).GetAsync(this).WaitAsync(ct);
    }

    /// <summary>The "no such page" document in <paramref name="language"/>.</summary>
    public async ValueTask<byte[]> NotFoundAsync(string language) =>
        _notFound.TryGetValue(language, out var html) ? html : _notFound[language] = await RenderAsync(null, language);

    /// <summary>The build of <paramref name="slug"/> under way, if any (tests wait for the one a stale page started).</summary>
    internal Task WhenBuiltAsync(string slug) => _entries.TryGetValue(slug, out var entry) && entry.Building is { } building ? building : Task.CompletedTask;

    /// <summary>Forgets the built page, so the next request shows the change.</summary>
    public void Invalidate(string slug) => _entries.TryRemove(slug, out _);

    private async Task<RenderedStatusPage?> BuildAsync(string slug)
    {
        // The definition is read when the build starts: a change invalidates the entry before, or
        // removes it (with whatever it builds) after.
        if (await _pages.FindPublicAsync(slug, CancellationToken.None) is not { } page) return null;
        Interlocked.Increment(ref _builds);
        var model = await _builder.BuildAsync(page, CancellationToken.None);
        return new RenderedStatusPage(model, new PageForms(await RenderAsync(model, UiText.English)), new PageForms(await RenderAsync(model, UiText.Chinese)));
    }

    private async Task<byte[]> RenderAsync(StatusPageModel? model, string language)
    {
        await using var renderer = new HtmlRenderer(new PageServices(_services), _loggers);
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(language);
            var parameters = new Dictionary<string, object?> { [nameof(PublicStatusPage.Model)] = model, [nameof(PublicStatusPage.Language)] = language };
            var root = await renderer.RenderComponentAsync<PublicStatusPage>(ParameterView.FromDictionary(parameters));
            return root.ToHtmlString();
        });
        return Encoding.UTF8.GetBytes(html);
    }

    public void Dispose() => _pages.Changed -= Invalidate;

    /// <summary>The app's services, with an encoder that leaves text in any script as written (markup characters are still encoded):
    /// Chinese as entities would triple the page's size.</summary>
    private sealed class PageServices(IServiceProvider inner) : IServiceProvider
    {
        private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

        public object? GetService(Type serviceType) => serviceType == typeof(HtmlEncoder) ? Encoder : inner.GetService(serviceType);
    }

    /// <summary>One slug's page: the newest built one, and the build under way, if any.</summary>
    private sealed class Entry(string slug)
    {
        private readonly Lock _lock = new();
        private volatile Built? _current;
        private Task<RenderedStatusPage?>? _building;

        public Task? Building
        {
            get
            {
                lock (_lock) return _building;
            }
        }

        public Task<RenderedStatusPage?> GetAsync(StatusPageCache cache)
        {
            var current = _current;
            if (current is not null && cache._time.GetUtcNow() - current.At < Lifetime) return Task.FromResult(current.Page);
            Task<RenderedStatusPage?> building;
            lock (_lock)
            {
                // Run away from the request: the build is shared, so no caller's cancellation ends it,
                // and it never completes inside this lock.
                building = _building ??= Task.Run(() => BuildAsync(cache));
            }

            return current is not null ? Task.FromResult(current.Page) : building;
        }

        private async Task<RenderedStatusPage?> BuildAsync(StatusPageCache cache)
        {
            try
            {
                var at = cache._time.GetUtcNow();
                var page = await cache.BuildAsync(slug);
                _current = new Built(page, at);
                return page;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                cache._log.LogError(e, "Could not build status page {Slug}", slug);
                throw;
            }
            finally
            {
                lock (_lock) _building = null;
            }
        }

        /// <summary>A page and when its build started; null page when the slug was no longer public then.</summary>
        private sealed record Built(RenderedStatusPage? Page, DateTimeOffset At);
    }
}
