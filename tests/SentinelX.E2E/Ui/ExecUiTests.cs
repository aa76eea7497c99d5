using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>An operator runs commands in the browser: the Node's Commands tab and the fleet page.</summary>
[Collection(UiCollection2.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ExecUiTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string OperatorPassword = "operator horse battery";
    private readonly CoreInstance _core = new();
    private IPage? _page;

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        if (_page is not null) await _page.Context.CloseAsync();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task An_operator_runs_a_command_watches_its_output_and_finds_it_in_history()
    {
        using var admin = await _core.ClientAsync();
        await using var node = _core.NewNode("ui-exec");
        await using var closed = _core.NewNode("ui-exec-closed");
        var id = await _core.StartOnlineNodeAsync(node, admin, "exec");
        closed.ExtraArgs.AddRange(["--allow", "exec"]); // so the Core's switch is the lock that refuses
        await _core.StartOnlineNodeAsync(closed, admin);

        _page = await browser.NewPageAsync(_core);
        await UiFlows.CreateAdminAsync(_page);
        await AccountsTestKit.AddUserAsync(_core, "oper", "operator", OperatorPassword);
        await UiFlows.LoginAsync(_page, "oper", OperatorPassword);
        await _page.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(_page);
        await _page.GetByTestId("tab-commands").ClickAsync();

        var marker = "hello-" + Random.Shared.Next(10_000, 99_999);
        await _page.Locator("textarea[data-testid=exec-command]").FillAsync($"echo {marker}; echo oops >&2; exit 3");
        await _page.GetByTestId("exec-run").ClickAsync();

        await Assertions.Expect(_page.Locator("[data-testid=exec-result][data-status=exited]")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        (await _page.Locator("[data-testid=exec-output] .sx-stdout").InnerTextAsync()).Should().Be(marker + "\n");
        (await _page.Locator("[data-testid=exec-output] .sx-stderr").InnerTextAsync()).Should().Be("oops\n");
        (await _page.GetByTestId("exec-exit").InnerTextAsync()).Should().Contain("3");
        await Assertions.Expect(_page.GetByTestId("exec-history-item").First).ToContainTextAsync(marker);
        await BrowserFixture.ScreenshotAsync(_page, "exec-commands-tab");

        // The fleet page: one panel per chosen Node; the one with exec off is refused, the other runs.
        await _page.GotoAsync("/commands");
        await UiFlows.WaitForCircuitAsync(_page);
        await _page.GetByTestId("fleet-node-ui-exec").CheckAsync();
        await _page.GetByTestId("fleet-node-ui-exec-closed").CheckAsync();
        await _page.Locator("textarea[data-testid=exec-command]").FillAsync("echo fleet-ok");
        await _page.GetByTestId("exec-run").ClickAsync();
        var ok = _page.Locator("[data-testid=fleet-result][data-node=ui-exec]");
        await Assertions.Expect(ok.Locator("[data-status=exited]")).ToBeVisibleAsync(new() { Timeout = 15_000 });
        (await ok.GetByTestId("exec-output").InnerTextAsync()).Should().Be("fleet-ok\n");
        await Assertions.Expect(_page.Locator("[data-testid=fleet-result][data-node=ui-exec-closed]").GetByTestId("fleet-refused"))
            .ToContainTextAsync("exec is off");
        await BrowserFixture.ScreenshotAsync(_page, "exec-fleet-page");
    }
}
