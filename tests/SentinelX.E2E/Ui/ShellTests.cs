using System.Diagnostics.CodeAnalysis;
using Xunit;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;

namespace SentinelX.E2E.Ui;

[Collection(UiCollection2.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ShellTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly CoreInstance _core = new();

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _core.DisposeAsync().AsTask();
    }

    [Fact]
    public async Task First_visit_creates_the_admin_then_signs_in_to_a_live_dashboard()
    {
        var page = await browser.NewPageAsync(_core);
        await UiFlows.CreateAdminAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "shell-login");
        await UiFlows.LoginAsync(page);
        page.Url.Should().EndWith("/");
        (await page.Locator("h1").First.InnerTextAsync()).Should().Be("Dashboard");
        await BrowserFixture.ScreenshotAsync(page, "shell-dashboard");

        // The setup page is gone once a user exists.
        await page.GotoAsync("/setup");
        await page.WaitForURLAsync("**/account/login**");
    }

    [Fact]
    public async Task Language_switch_is_remembered_for_the_account()
    {
        var page = await UiFlows.AdminPageAsync(browser, _core);
        await page.GetByTestId("language").SelectOptionAsync("zh-CN");
        await page.WaitForFunctionAsync("() => document.documentElement.lang === 'zh-CN'");
        await UiFlows.WaitForCircuitAsync(page);
        (await page.Locator("h1").First.InnerTextAsync()).Should().Be("仪表盘");
        await BrowserFixture.ScreenshotAsync(page, "shell-dashboard-zh");

        // A new browser signs in and gets Chinese from the account, not from its own language.
        var other = await browser.NewPageAsync(_core);
        await UiFlows.LoginAsync(other);
        (await other.Locator("h1").First.InnerTextAsync()).Should().Be("仪表盘");
    }
}
