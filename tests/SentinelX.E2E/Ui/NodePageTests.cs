using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using SentinelX.Shared.Metrics;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>The Node page against a real Core and a real Node: facts, live and stored charts, edit, remove, roles.</summary>
[Collection(UiCollection.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class NodePageTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private readonly List<IPage> _pages = [];
    private NodeInstance? _node;

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        // Closed first: open pages with live charts keep reconnecting and cost CPU the next test needs.
        foreach (var page in _pages) await page.Context.CloseAsync();
        if (_node is not null) await _node.DisposeAsync();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task Page_shows_the_nodes_system_and_live_and_stored_charts()
    {
        var (api, id) = await StartNodeAsync("web-1");
        var system = await CoreInstance.GetJsonAsync<SystemInfo>(api, $"/api/v1/nodes/{id}/system");
        var page = Track(await UiFlows.AdminPageAsync(browser, _core));
        await OpenAsync(page, id);

        (await page.GetByTestId("node-name").InnerTextAsync()).Should().Contain("web-1");
        await Assertions.Expect(page.GetByTestId("node-online")).ToBeVisibleAsync();
        (await page.GetByTestId("sys-hostname").InnerTextAsync()).Should().Be(system.Hostname);
        (await page.GetByTestId("sys-os").InnerTextAsync()).Should().Be(system.Os);
        (await page.GetByTestId("sys-kernel").InnerTextAsync()).Should().Be(system.Kernel);
        (await page.GetByTestId("sys-arch").InnerTextAsync()).Should().Be(system.Arch);
        (await page.GetByTestId("sys-cpu").InnerTextAsync()).Should().Be(system.CpuModel);
        (await page.GetByTestId("sys-cores").InnerTextAsync()).Should().Be(system.CpuCores.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (await page.GetByTestId("sys-agent").InnerTextAsync()).Should().Be(system.AgentVersion);
        var disks = await page.GetByTestId("sys-disks").InnerTextAsync();
        foreach (var disk in system.Disks) disks.Should().Contain(disk.Mount);
        var nics = await page.GetByTestId("sys-interfaces").InnerTextAsync();
        foreach (var nic in system.Interfaces) nics.Should().Contain(nic.Name);

        // Live: the CPU chart grows as samples arrive (pushed over the circuit, no reload).
        await page.WaitForFunctionAsync("() => window.sentinelxCharts && window.sentinelxCharts.points('chart-cpu') > 0");
        var before = await CpuPointsAsync(page);
        await Eventually.WaitAsync(async () => await CpuPointsAsync(page) >= before + 2, TimeSpan.FromSeconds(15), "live CPU points");
        (await page.GetByTestId("chart-tier").GetAttributeAsync("data-tier")).Should().Be("raw");
        await BrowserFixture.ScreenshotAsync(page, "node-page");

        // History: one hour from stored raw samples.
        await page.GetByTestId("range-1h").ClickAsync();
        await page.WaitForFunctionAsync("() => window.sentinelxCharts.points('chart-cpu') > 0");
        (await page.GetByTestId("chart-tier").GetAttributeAsync("data-tier")).Should().Be("raw");
        await page.GetByTestId("range-7d").ClickAsync();
        await Eventually.WaitAsync(async () => await page.GetByTestId("chart-tier").GetAttributeAsync("data-tier") == "1m", TimeSpan.FromSeconds(10), "7 d from 1-minute rollups");

        var phone = Track(await browser.NewPageAsync(_core, phone: true));
        await UiFlows.LoginAsync(phone);
        await OpenAsync(phone, id);
        await phone.WaitForFunctionAsync("() => window.sentinelxCharts && window.sentinelxCharts.points('chart-cpu') > 0");
        (await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1")).Should().BeTrue("nothing overflows a phone screen");
        await BrowserFixture.ScreenshotAsync(phone, "node-page-phone");

        await page.GetByTestId("theme").SelectOptionAsync("dark");
        await page.WaitForFunctionAsync("() => document.body.classList.contains('theme-dark')");
        await UiFlows.WaitForCircuitAsync(page);
        await page.WaitForFunctionAsync("() => window.sentinelxCharts && window.sentinelxCharts.points('chart-cpu') > 0");
        await BrowserFixture.ScreenshotAsync(page, "node-page-dark");
        await page.GetByTestId("language").SelectOptionAsync("zh-CN");
        await page.WaitForFunctionAsync("() => document.documentElement.lang === 'zh-CN'");
        await UiFlows.WaitForCircuitAsync(page);
        await page.WaitForFunctionAsync("() => window.sentinelxCharts && window.sentinelxCharts.points('chart-cpu') > 0");
        (await page.GetByTestId("range-live").InnerTextAsync()).Should().Contain("实时");
        await BrowserFixture.ScreenshotAsync(page, "node-page-zh");
    }

    [Fact]
    public async Task Operator_edits_and_admin_removes_the_node_and_its_data()
    {
        var (api, id) = await StartNodeAsync("db-1");
        var page = Track(await UiFlows.AdminPageAsync(browser, _core));
        await OpenAsync(page, id);

        await page.GetByTestId("node-edit").ClickAsync();
        await page.GetByTestId("edit-name").Locator("xpath=self::input|.//input").First.FillAsync("db-primary");
        await page.GetByTestId("edit-tags").Locator("xpath=self::input|.//input").First.FillAsync("prod, db");
        await page.GetByTestId("edit-region").Locator("xpath=self::input|.//input").First.FillAsync("d1");
        await page.GetByTestId("edit-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("edit-error-region")).ToBeVisibleAsync();
        await page.GetByTestId("edit-region").Locator("xpath=self::input|.//input").First.FillAsync("de");
        await BrowserFixture.ScreenshotAsync(page, "node-page-edit");
        await page.GetByTestId("edit-save").ClickAsync();

        await Assertions.Expect(page.GetByTestId("node-name")).ToContainTextAsync("db-primary");
        await Assertions.Expect(page.GetByTestId("node-tags")).ToContainTextAsync("prod");
        await Assertions.Expect(page.GetByTestId("node-tags")).ToContainTextAsync("db");
        var detail = await DetailAsync(api, id);
        detail.GetProperty("name").GetString().Should().Be("db-primary");
        detail.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Equal("prod", "db");
        detail.GetProperty("region").GetString().Should().Be("DE");

        // Through the API: an operator may edit, bad input is a problem document with the field.
        using var operatorApi = await _core.ClientAsync("operator");
        using (var bad = await operatorApi.PatchAsJsonAsync($"/api/v1/nodes/{id}", new { trafficResetDay = 31 }))
        {
            bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            (await bad.Content.ReadAsStringAsync()).Should().Contain("trafficResetDay");
        }
        using (var ok = await operatorApi.PatchAsJsonAsync($"/api/v1/nodes/{id}", new { groupName = "hetzner", trafficResetDay = 15 }))
            ok.StatusCode.Should().Be(HttpStatusCode.OK);
        await Assertions.Expect(page.GetByTestId("node-group")).ToHaveTextAsync("hetzner");
        using (var denied = await operatorApi.DeleteAsync($"/api/v1/nodes/{id}"))
            denied.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        await WaitForStoredSamplesAsync(id);
        await page.GetByTestId("node-remove").ClickAsync();
        var dialog = page.Locator(".rz-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("db-primary");
        await BrowserFixture.ScreenshotAsync(page, "node-page-remove");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/nodes/", StringComparison.Ordinal));

        using (var gone = await api.GetAsync($"/api/v1/nodes/{id}"))
            gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        await using (var db = _core.OpenDatabase())
        {
            foreach (var table in new[] { "samples", "rollups_1m", "rollups_1h", "rollup_dirty" })
                Count(db, $"SELECT COUNT(*) FROM {table} WHERE node_id = $id", id).Should().Be(0, table);
            Count(db, "SELECT COUNT(*) FROM nodes WHERE id = $id", id).Should().Be(0);
        }

        // The running Node is told it is gone and backs off instead of enrolling itself again.
        await Eventually.WaitAsync(() => Task.FromResult(_node!.Output.Contains("HTTP 410", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the Node to be refused with 410", () => _node!.Output);
        (await CoreInstance.GetJsonAsync<List<NodeView>>(api, "/api/v1/nodes")).Should().BeEmpty();
        _node!.Process.HasExited.Should().BeFalse();

        await page.GotoAsync($"/nodes/{id}");
        await Assertions.Expect(page.GetByTestId("node-not-found")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Viewer_sees_no_edit_or_remove_and_the_api_refuses_a_viewer()
    {
        var (_, id) = await StartNodeAsync("edge-1");
        var page = Track(await browser.NewPageAsync(_core));
        await UiFlows.CreateAdminAsync(page);
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(_core.DataDir, "sentinelx.db")}"))
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE users SET role = 'viewer'";
            (await cmd.ExecuteNonQueryAsync()).Should().Be(1);
        }

        await UiFlows.LoginAsync(page);
        await OpenAsync(page, id);
        await Assertions.Expect(page.GetByTestId("sys-hostname")).ToBeVisibleAsync();
        (await page.GetByTestId("node-edit").CountAsync()).Should().Be(0);
        (await page.GetByTestId("node-remove").CountAsync()).Should().Be(0);

        using var viewerApi = await _core.ClientAsync("viewer");
        using (var patch = await viewerApi.PatchAsJsonAsync($"/api/v1/nodes/{id}", new { name = "mine" }))
            patch.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var delete = await viewerApi.DeleteAsync($"/api/v1/nodes/{id}"))
            delete.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await DetailAsync(viewerApi, id)).GetProperty("name").GetString().Should().Be("edge-1");

        await page.GotoAsync("/nodes/does-not-exist");
        await Assertions.Expect(page.GetByTestId("node-not-found")).ToBeVisibleAsync();
    }

    private async Task<(HttpClient Api, string Id)> StartNodeAsync(string name)
    {
        var api = await _core.ClientAsync("admin");
        _node = _core.NewNode(name);
        await _node.StartAsync();
        string? id = null;
        await Eventually.WaitAsync(async () =>
        {
            var nodes = await CoreInstance.GetJsonAsync<List<NodeView>>(api, "/api/v1/nodes");
            id = nodes.FirstOrDefault(n => n.Name == name && n.Online && n.Metrics is not null)?.Id;
            return id is not null;
        }, TimeSpan.FromSeconds(30), "the Node online with metrics", () => _node.Output);
        return (api, id!);
    }

    private IPage Track(IPage page)
    {
        _pages.Add(page);
        return page;
    }

    private static async Task OpenAsync(IPage page, string id)
    {
        await page.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(page);
    }

    private static Task<int> CpuPointsAsync(IPage page) => page.EvaluateAsync<int>("() => window.sentinelxCharts.points('chart-cpu')");

    private static async Task<JsonElement> DetailAsync(HttpClient api, string id) =>
        await CoreInstance.GetJsonAsync<JsonElement>(api, $"/api/v1/nodes/{id}");

    private async Task WaitForStoredSamplesAsync(string id) =>
        await Eventually.WaitAsync(() =>
        {
            using var db = _core.OpenDatabase();
            return Task.FromResult(Count(db, "SELECT COUNT(*) FROM samples WHERE node_id = $id", id) > 0);
        }, TimeSpan.FromSeconds(15), "stored samples");

    private static long Count(SqliteConnection db, string sql, string id)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$id", id);
        return (long)cmd.ExecuteScalar()!;
    }
}
