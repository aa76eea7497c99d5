using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;

// Dashboard benchmark driver: Debian Chromium against a Core that is being fed by the load
// generator. Measures time to first render of the dashboard (navigation start → rows for the
// visible Nodes in the DOM, from the page's own clock) and the live delay of samples (the moment a
// new data-ts value lands in the DOM, seen by a MutationObserver, minus that sample's timestamp).
//
// usage: SentinelX.DashboardBench CORE_URL TOKEN NODES SECONDS SCREENSHOT_DIR
if (args.Length < 5)
{
    Console.Error.WriteLine("usage: SentinelX.DashboardBench CORE_URL TOKEN NODES SECONDS SCREENSHOT_DIR");
    return 2;
}

var core = args[0];
var token = args[1];
var nodeCount = int.Parse(args[2], CultureInfo.InvariantCulture);
var seconds = int.Parse(args[3], CultureInfo.InvariantCulture);
var screenshots = args[4];
const int Loads = 13;
const double FirstRenderTargetMs = 1500, LiveDelayTargetMs = 1000;
const string User = "bench", Password = "bench password 123";

// 1. Wait until the simulated fleet is connected.
using (var http = new HttpClient { BaseAddress = new Uri(core) })
{
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    var wait = Stopwatch.StartNew();
    while (true)
    {
        using var summary = JsonDocument.Parse(await http.GetStringAsync("/api/v1/summary"));
        var online = summary.RootElement.GetProperty("online").GetInt32();
        if (online >= nodeCount) break;
        if (wait.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"only {online} of {nodeCount} nodes online");
        await Task.Delay(500);
    }
}

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

// 2. The admin account, created and signed in the way a person does it.
var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = core, ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
context.SetDefaultTimeout(30_000);
var setup = await context.NewPageAsync();
await setup.GotoAsync("/setup");
await setup.GetByTestId("username").FillAsync(User);
await setup.GetByTestId("password").FillAsync(Password);
await setup.GetByTestId("confirm").FillAsync(Password);
await setup.GetByTestId("create-admin").ClickAsync();
await setup.WaitForURLAsync("**/account/login**");
await setup.GetByTestId("username").FillAsync(User);
await setup.GetByTestId("password").FillAsync(Password);
await setup.GetByTestId("sign-in").ClickAsync();
await setup.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
await WaitReadyAsync(setup);
await setup.CloseAsync();

// Records, on the page's own clock (0 = navigation start), when the first `want` rows and the live circuit appeared.
await context.AddInitScriptAsync("""
    (() => {
      const want = () => window.__want || 1;
      const check = () => {
        if (window.__rowsAt === undefined && document.querySelectorAll('[data-ts]').length >= want()) window.__rowsAt = performance.now();
        if (window.__readyAt === undefined && document.querySelector('[data-sx-ready]')) window.__readyAt = performance.now();
      };
      new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
      document.addEventListener('DOMContentLoaded', check);
    })();
    """);

// 3. First render, cards and table, several loads each (the first load of each view warms up the Core).
var results = new List<string>();
var pass = true;
foreach (var view in new[] { "cards", "table" })
{
    var page = await context.NewPageAsync();
    await page.GotoAsync("/");
    await WaitReadyAsync(page);
    await page.GetByTestId("view-" + view).ClickAsync();
    await page.WaitForFunctionAsync($"() => document.querySelector('[data-view={view}] [data-ts]') !== null");
    await Task.Delay(1000);
    // How many rows are on screen once settled: that is what "first render" waits for.
    var visible = await page.EvaluateAsync<int>("""
        () => [...document.querySelectorAll('[data-ts]')].filter(e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }).length
        """);
    var inDom = await page.EvaluateAsync<int>("() => document.querySelectorAll('[data-ts]').length");
    await BrowserFixtureScreenshot(page, $"dashboard-{view}-{nodeCount}");
    await page.CloseAsync();

    var firstRows = new List<double>();
    var interactive = new List<double>();
    for (var i = 0; i < Loads; i++)
    {
        var p = await context.NewPageAsync();
        await p.AddInitScriptAsync($"window.__want = {visible};");
        await p.GotoAsync("/");
        await p.WaitForFunctionAsync("() => window.__rowsAt !== undefined && window.__readyAt !== undefined");
        var rowsAt = await p.EvaluateAsync<double>("() => window.__rowsAt");
        var readyAt = await p.EvaluateAsync<double>("() => window.__readyAt");
        if (i > 0)
        {
            firstRows.Add(rowsAt);
            interactive.Add(readyAt);
        }
        await p.CloseAsync();
    }
    firstRows.Sort();
    interactive.Sort();
    var ok = Pct(firstRows, 95) < FirstRenderTargetMs;
    pass &= ok;
    results.Add($"first render, {view,-5} ({visible} rows visible, {inDom} in the DOM of {nodeCount}): " +
        $"p50 {Pct(firstRows, 50):0} ms, p95 {Pct(firstRows, 95):0} ms, max {firstRows[^1]:0} ms over {firstRows.Count} loads " +
        $"(interactive p50 {Pct(interactive, 50):0} ms) → {(ok ? "PASS" : "FAIL")} (target < {FirstRenderTargetMs:0} ms)");
}

// 4. Live delay: two tall windows, one table and one cards, watched for SECONDS.
const string Observe = """
    () => {
      window.__lag = [];
      new MutationObserver(list => {
        const now = Date.now();
        for (const m of list) {
          const ts = Number(m.target.getAttribute('data-ts'));
          if (ts > 0 && m.oldValue !== String(ts)) window.__lag.push(now - ts);
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-ts'], attributeOldValue: true });
    }
    """;
var watchers = new List<IPage>();
foreach (var view in new[] { "table", "cards" })
{
    var page = await context.NewPageAsync();
    await page.SetViewportSizeAsync(1440, 3000);
    await page.GotoAsync("/");
    await WaitReadyAsync(page);
    await page.GetByTestId("view-" + view).ClickAsync();
    await page.WaitForFunctionAsync($"() => document.querySelector('[data-view={view}] [data-ts]') !== null");
    await page.EvaluateAsync(Observe);
    watchers.Add(page);
}
await Task.Delay(TimeSpan.FromSeconds(seconds));
var lags = new List<double>();
foreach (var page in watchers)
    lags.AddRange(await page.EvaluateAsync<double[]>("() => window.__lag"));
lags.Sort();
var liveOk = lags.Count > 0 && Pct(lags, 95) < LiveDelayTargetMs;
pass &= liveOk;
results.Add($"live delay (sample taken → value in the DOM): p50 {Pct(lags, 50):0} ms, p95 {Pct(lags, 95):0} ms, max {(lags.Count > 0 ? lags[^1] : 0):0} ms " +
    $"over {lags.Count} observations in {seconds} s → {(liveOk ? "PASS" : "FAIL")} (target p95 < {LiveDelayTargetMs:0} ms)");

foreach (var line in results) Console.WriteLine(line);
Console.WriteLine(pass ? "PASS" : "FAIL");
return pass ? 0 : 1;

async Task WaitReadyAsync(IPage page) =>
    await page.WaitForFunctionAsync("() => window.Blazor && document.querySelector('[data-sx-ready]') !== null");

async Task BrowserFixtureScreenshot(IPage page, string name)
{
    Directory.CreateDirectory(screenshots);
    await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, name + ".png") });
}

static double Pct(List<double> sorted, double p) =>
    sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, Math.Max(0, (int)Math.Ceiling(p / 100 * sorted.Count) - 1))];
