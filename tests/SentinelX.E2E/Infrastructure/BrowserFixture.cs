using Xunit;
using Microsoft.Playwright;

namespace SentinelX.E2E.Infrastructure;

/// <summary>
/// One headless Debian Chromium per UI collection (Playwright never downloads a browser here).
/// Each test gets its own context, so cookies and storage never leak between tests.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly List<IBrowserContext> _contexts = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("browser not started");

    public static string ScreenshotDir { get; } = Path.Combine(Binaries.RepoRoot, "tests", "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new FileNotFoundException($"{ChromiumPath} is missing: apt-get install chromium (tests/run.sh does this)");
        _playwright = await Playwright.CreateAsync();
        // Other test classes run beside the browser, so a page may take longer than Playwright's
        // default 5 s to show what a test expects; a real failure still ends the wait.
        Assertions.SetDefaultExpectTimeout(15_000);
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A fresh browser context (own cookies) on <paramref name="core"/>, with a phone or desktop viewport.</summary>
    public async Task<IPage> NewPageAsync(CoreInstance core, bool phone = false, string locale = "en-US", string timezone = "Europe/Berlin")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = core.Url,
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1440, Height = 900 },
            IsMobile = phone,
            HasTouch = phone,
            Locale = locale,
            TimezoneId = timezone,
        });
        context.SetDefaultTimeout(15_000);
        lock (_contexts) _contexts.Add(context);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// Closes every context opened since the last call. Each UI test class calls it when a test ends:
    /// a context left open keeps its Blazor circuit reconnecting to a stopped Core and its renderer
    /// busy, which slows every test after it.
    /// </summary>
    public async Task CloseContextsAsync()
    {
        IBrowserContext[] open;
        lock (_contexts)
        {
            open = [.. _contexts];
            _contexts.Clear();
        }

        foreach (var context in open) await context.CloseAsync();
    }

    /// <summary>Saves a full-page PNG under tests/artifacts/screenshots/ (git-ignored) for people to look at.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = true });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>
/// The UI classes run one at a time within a collection, and the two collections side by side: one
/// collection of them all was the longest path of the end-to-end run. Each collection has its own
/// browser, so closing one collection's contexts never touches the other's. Keep them about even.
/// </summary>
[CollectionDefinition(Name)]
public sealed class UiCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "ui";
}

/// <inheritdoc cref="UiCollection"/>
[CollectionDefinition(Name)]
public sealed class UiCollection2 : ICollectionFixture<BrowserFixture>
{
    public const string Name = "ui-2";
}
