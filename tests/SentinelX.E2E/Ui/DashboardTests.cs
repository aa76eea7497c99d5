using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Json;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

[Collection(UiCollection2.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class DashboardTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private readonly List<NodeInstance> _nodes = [];

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        foreach (var node in _nodes) await node.DisposeAsync();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task Nodes_appear_live_and_search_filter_sort_and_the_view_choice_work()
    {
        var ids = await StartFleetAsync();
        var page = await UiFlows.AdminPageAsync(browser, _core);
        var alpha = Row(page, ids["alpha"]);
        var beta = Row(page, ids["beta"]);
        await Assertions.Expect(alpha).ToBeVisibleAsync();
        await Assertions.Expect(beta).ToBeVisibleAsync();
        (await page.GetByTestId("summary-online").InnerTextAsync()).Should().Be("2 / 2");
        (await alpha.Locator("a[data-testid=node-name]").GetAttributeAsync("href")).Should().Be("/nodes/" + ids["alpha"]);
        (await alpha.InnerTextAsync()).Should().Contain("🇯🇵").And.Contain("tokyo-dc").And.Contain("prod");

        // Live: the newest sample's timestamp and the uptime move without a reload.
        var ts = await alpha.GetAttributeAsync("data-ts");
        await page.WaitForFunctionAsync($"([id, ts]) => document.querySelector(`[data-testid=\"node-${{id}}\"]`).dataset.ts !== ts", new[] { ids["alpha"], ts! });
        long.Parse((await alpha.GetAttributeAsync("data-ts"))!).Should().BeGreaterThan(long.Parse(ts!));
        (await alpha.GetByTestId("uptime").InnerTextAsync()).Should().MatchRegex(@"\d+ (d|h|min|s)");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-cards");

        // Search by name, tag, group and OS; filter by tag, group and state.
        await page.GetByTestId("search").FillAsync("BETA");
        await ExpectRowsAsync(page, ids["beta"]);
        await page.GetByTestId("search").FillAsync("prod");
        await ExpectRowsAsync(page, ids["alpha"]);
        await page.GetByTestId("search").FillAsync("tokyo-dc");
        await ExpectRowsAsync(page, ids["alpha"]);
        await page.GetByTestId("search").FillAsync("");
        await ExpectRowsAsync(page, ids["alpha"], ids["beta"]);
        await page.GetByTestId("filter-tag").SelectOptionAsync("test");
        await ExpectRowsAsync(page, ids["beta"]);
        await page.GetByTestId("filter-tag").SelectOptionAsync(new SelectOptionValue { Value = "" });
        await page.GetByTestId("filter-group").SelectOptionAsync("tokyo-dc");
        await ExpectRowsAsync(page, ids["alpha"]);
        await page.GetByTestId("filter-group").SelectOptionAsync(new SelectOptionValue { Value = "" });
        await page.GetByTestId("filter-status").SelectOptionAsync("offline");
        await Assertions.Expect(page.GetByTestId("no-match")).ToBeVisibleAsync();
        await page.GetByTestId("filter-status").SelectOptionAsync("online");
        await ExpectRowsAsync(page, ids["alpha"], ids["beta"]);

        // Table view; sorting by a column header, and the cards follow the same order.
        await page.GetByTestId("view-table").ClickAsync();
        await Assertions.Expect(page.Locator($"tr[data-testid=node-{ids["alpha"]}]")).ToBeVisibleAsync();
        await page.GetByTestId("sort-name").ClickAsync();
        await ExpectRowsAsync(page, ids["beta"], ids["alpha"]);
        await page.GetByTestId("sort-name").ClickAsync();
        await ExpectRowsAsync(page, ids["alpha"], ids["beta"]);
        await page.GetByTestId("sort").SelectOptionAsync("region");
        await ExpectRowsAsync(page, ids["beta"], ids["alpha"]); // DE before JP
        await BrowserFixture.ScreenshotAsync(page, "dashboard-table");

        // The choice is kept on the account: after a reload and in a new sign-in elsewhere.
        await page.ReloadAsync();
        await UiFlows.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator($"tr[data-testid=node-{ids["alpha"]}]")).ToBeVisibleAsync();
        var other = await browser.NewPageAsync(_core);
        await UiFlows.LoginAsync(other);
        await Assertions.Expect(other.Locator($"tr[data-testid=node-{ids["beta"]}]")).ToBeVisibleAsync();
        await other.GetByTestId("view-cards").ClickAsync();
        await Assertions.Expect(other.Locator($"article[data-testid=node-{ids["beta"]}]")).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator($"article[data-testid=node-{ids["beta"]}]")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Empty_offline_dark_chinese_and_phone_views()
    {
        var page = await UiFlows.AdminPageAsync(browser, _core);
        await Assertions.Expect(page.GetByTestId("empty")).ToContainTextAsync("Add server");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-empty");

        var ids = await StartFleetAsync();
        await page.ReloadAsync();
        await UiFlows.WaitForCircuitAsync(page);
        await Assertions.Expect(Row(page, ids["beta"])).ToBeVisibleAsync();

        // A Node that stops shows as offline with the time it was last seen.
        await _nodes.Single(n => n.Name == "beta").StopAsync();
        await Assertions.Expect(Row(page, ids["beta"]).GetByTestId("node-status")).ToContainTextAsync("last seen", new() { Timeout = 20_000 });
        (await page.GetByTestId("summary-online").InnerTextAsync()).Should().Be("1 / 2");

        await page.GetByTestId("theme").SelectOptionAsync("dark");
        await page.WaitForFunctionAsync("() => document.body.classList.contains('theme-dark')");
        await UiFlows.WaitForCircuitAsync(page);
        await Assertions.Expect(Row(page, ids["alpha"])).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "dashboard-cards-dark");
        await page.GetByTestId("view-table").ClickAsync();
        await Assertions.Expect(page.Locator($"tr[data-testid=node-{ids["alpha"]}]")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "dashboard-table-dark");

        await page.GetByTestId("language").SelectOptionAsync("zh-CN");
        await page.WaitForFunctionAsync("() => document.documentElement.lang === 'zh-CN'");
        await UiFlows.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("summary")).ToContainTextAsync("本月流量");
        await Assertions.Expect(Row(page, ids["beta"]).GetByTestId("node-status")).ToContainTextAsync("最后在线");
        await BrowserFixture.ScreenshotAsync(page, "dashboard-table-zh");
        await page.GetByTestId("view-cards").ClickAsync();
        await Assertions.Expect(page.Locator($"article[data-testid=node-{ids["alpha"]}]")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, "dashboard-cards-zh");

        var phone = await browser.NewPageAsync(_core, phone: true);
        await UiFlows.LoginAsync(phone);
        await phone.GetByTestId("language").SelectOptionAsync("en");
        await phone.WaitForFunctionAsync("() => document.documentElement.lang === 'en'");
        await UiFlows.WaitForCircuitAsync(phone);
        var card = phone.Locator($"article[data-testid=node-{ids["alpha"]}]");
        await Assertions.Expect(card).ToBeVisibleAsync();
        var box = (await card.BoundingBoxAsync())!;
        box.Width.Should().BeGreaterThan(300, "cards take the whole width of a phone, one per row");
        (await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth")).Should().BeTrue("nothing scrolls sideways");
        await BrowserFixture.ScreenshotAsync(phone, "dashboard-cards-phone");
        await phone.GetByTestId("view-table").ClickAsync();
        await Assertions.Expect(phone.Locator($"tr[data-testid=node-{ids["alpha"]}]")).ToBeVisibleAsync();
        (await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth")).Should().BeTrue("the table folds to its essential columns");
        await BrowserFixture.ScreenshotAsync(phone, "dashboard-table-phone");
    }

    private static ILocator Row(IPage page, string id) => page.Locator($"[data-testid=node-{id}]");

    /// <summary>Waits until exactly these Nodes are listed, in this order.</summary>
    private static async Task ExpectRowsAsync(IPage page, params string[] ids) =>
        await page.WaitForFunctionAsync("(want) => [...document.querySelectorAll('[data-ts]')].map(e => e.dataset.testid).join() === want",
            string.Join(",", ids.Select(id => "node-" + id)), new() { Timeout = 10_000 });

    /// <summary>
    /// Two real Nodes with labels. Labels are set in the database while the Core is stopped (editing
    /// them in the UI belongs to the Node page), then the Core starts again and the Nodes reconnect.
    /// </summary>
    private async Task<Dictionary<string, string>> StartFleetAsync()
    {
        foreach (var name in new[] { "alpha", "beta" })
        {
            var node = _core.NewNode(name);
            _nodes.Add(node);
            await node.StartAsync();
        }
        using var viewer = await _core.ClientAsync("viewer");
        var ids = await WaitOnlineAsync(viewer);
        // Labels are set the way an operator's script would: through the API.
        using var op = await _core.ClientAsync("operator");
        (await op.PatchAsJsonAsync($"/api/v1/nodes/{ids["alpha"]}", new { tags = "prod,jp", groupName = "tokyo-dc", region = "JP" })).EnsureSuccessStatusCode();
        (await op.PatchAsJsonAsync($"/api/v1/nodes/{ids["beta"]}", new { tags = "test", groupName = "", region = "DE" })).EnsureSuccessStatusCode();
        return ids;
    }

    private async Task<Dictionary<string, string>> WaitOnlineAsync(HttpClient viewer)
    {
        Dictionary<string, string> ids = [];
        await Eventually.WaitAsync(async () =>
        {
            var nodes = await CoreInstance.GetJsonAsync<List<NodeSummary>>(viewer, "/api/v1/nodes");
            ids = nodes.ToDictionary(n => n.Name, n => n.Id);
            return nodes.Count == 2 && nodes.All(n => n.Online && n.Metrics is not null);
        }, TimeSpan.FromSeconds(40), "both nodes online with metrics", () => _core.Output + string.Concat(_nodes.Select(n => n.Output)));
        return ids;
    }

    private sealed record NodeSummary(string Id, string Name, bool Online, object? Metrics);
}
