using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>The locks as people see them: the Access tab, the gate on each capability's tab, the audit page, by role.</summary>
[Collection(UiCollection2.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class RemoteAccessUiTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private readonly List<IPage> _pages = [];

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        foreach (var page in _pages) await page.Context.CloseAsync();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task An_admin_opens_the_cores_lock_the_servers_lock_stays_shut_and_both_are_audited()
    {
        using var admin = await _core.ClientAsync();
        await using var open = _core.NewNode("web-open");
        open.ExtraArgs.AddRange(["--allow", "exec,files"]);
        var openId = await _core.StartOnlineNodeAsync(open, admin);
        var page = Track(await UiFlows.AdminPageAsync(browser, _core));

        await page.GotoAsync($"/nodes/{openId}");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("tab-commands").ClickAsync();
        var gate = page.GetByTestId("gate-exec");
        await Assertions.Expect(gate).ToHaveAttributeAsync("data-lock", "core");
        await page.GetByTestId("gate-enable-exec").ClickAsync();
        await Assertions.Expect(gate).ToHaveCountAsync(0);

        // This server's own config does not allow shell: that is the lock to name, since the Core's switch would not help.
        await page.GetByTestId("tab-terminal").ClickAsync();
        await Assertions.Expect(page.GetByTestId("gate-shell")).ToHaveAttributeAsync("data-lock", "node");
        await Assertions.Expect(page.GetByTestId("gate-enable-shell")).ToHaveCountAsync(0);

        await page.GetByTestId("tab-access").ClickAsync();
        await Assertions.Expect(page.GetByTestId("lock-exec")).ToHaveAttributeAsync("data-usable", "true");
        await page.GetByTestId("switch-shell").ClickAsync();
        await Assertions.Expect(page.GetByTestId("lock-shell")).ToHaveAttributeAsync("data-usable", "false");
        (await page.GetByTestId("node-lock-shell").InnerTextAsync()).Should().Contain("No", "this server's own config does not allow shell");
        await page.GetByTestId("tab-terminal").ClickAsync();
        await Assertions.Expect(page.GetByTestId("gate-shell")).ToHaveAttributeAsync("data-lock", "node");
        await BrowserFixture.ScreenshotAsync(page, "node-access");

        var view = await CoreInstance.GetJsonAsync<CapabilitiesView>(admin, $"/api/v1/nodes/{openId}/capabilities");
        view.Capabilities.Where(c => c.Enabled).Select(c => c.Name).Should().Equal("exec", "shell");

        await page.GotoAsync("/audit");
        await UiFlows.WaitForCircuitAsync(page);
        var rows = page.GetByTestId("audit-row").And(page.Locator("[data-action='capability.set']"));
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        (await rows.First.InnerTextAsync()).Should().Contain("shell on").And.Contain(UiFlows.AdminName).And.Contain("web-open");

        // New entries arrive without a reload.
        await CoreInstance.SetCapabilitiesAsync(admin, openId, new Dictionary<string, bool> { ["files"] = true });
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await page.GetByTestId("audit-action").SelectOptionAsync("token.");
        await Assertions.Expect(rows).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("audit-row")).Not.ToHaveCountAsync(0); // the CLI's token for this test
        await BrowserFixture.ScreenshotAsync(page, "audit-log");
    }

    [Fact]
    public async Task Operators_see_the_locks_without_switching_them_and_viewers_see_neither_operator_tabs_nor_audit()
    {
        using var admin = await _core.ClientAsync();
        await using var node = _core.NewNode("web-ops");
        node.ExtraArgs.AddRange(["--allow", "exec,shell,files,docker,forward"]);
        var id = await _core.StartOnlineNodeAsync(node, admin);
        Track(await UiFlows.AdminPageAsync(browser, _core)); // the first visit creates the admin
        await AccountsTestKit.AddUserAsync(_core, "olga", "operator", "operator password 1");
        await AccountsTestKit.AddUserAsync(_core, "vic", "viewer", "viewer password 1");

        var operatorPage = Track(await browser.NewPageAsync(_core));
        await UiFlows.LoginAsync(operatorPage, "olga", "operator password 1");
        await operatorPage.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(operatorPage);
        await operatorPage.GetByTestId("tab-files").ClickAsync();
        await Assertions.Expect(operatorPage.GetByTestId("gate-files")).ToHaveAttributeAsync("data-lock", "core");
        await Assertions.Expect(operatorPage.GetByTestId("gate-enable-files")).ToHaveCountAsync(0);
        await operatorPage.GetByTestId("tab-access").ClickAsync();
        await Assertions.Expect(operatorPage.Locator("[data-testid='switch-files'].rz-state-disabled, [data-testid='switch-files'] .rz-state-disabled, [data-testid='switch-files'][aria-disabled='true']"))
            .Not.ToHaveCountAsync(0);
        await operatorPage.GotoAsync("/audit");
        await UiFlows.WaitForCircuitAsync(operatorPage);
        await Assertions.Expect(operatorPage.GetByTestId("audit-filters")).ToBeVisibleAsync();

        var viewerPage = Track(await browser.NewPageAsync(_core));
        await UiFlows.LoginAsync(viewerPage, "vic", "viewer password 1");
        await viewerPage.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(viewerPage);
        await Assertions.Expect(viewerPage.GetByTestId("node-name")).ToBeVisibleAsync();
        // Monitoring tabs only: the overview and the process list, none that acts on the server.
        await Assertions.Expect(viewerPage.GetByTestId("tab-processes")).ToBeVisibleAsync();
        await Assertions.Expect(viewerPage.GetByTestId("tab-commands")).ToHaveCountAsync(0);
        await Assertions.Expect(viewerPage.GetByTestId("tab-access")).ToHaveCountAsync(0);
        await viewerPage.GotoAsync("/audit");
        await UiFlows.WaitForCircuitAsync(viewerPage);
        await Assertions.Expect(viewerPage.GetByTestId("audit-filters")).ToHaveCountAsync(0);
        (await viewerPage.ContentAsync()).Should().Contain("Not allowed");
    }

    private IPage Track(IPage page)
    {
        _pages.Add(page);
        return page;
    }
}
