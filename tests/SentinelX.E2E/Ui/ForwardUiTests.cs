using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>An admin forwards a port in the browser: the Forwards page, the dialog, live status and counters, the rule's page.</summary>
[Collection(UiCollection.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ForwardUiTests(BrowserFixture browser) : IAsyncLifetime
{
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
    public async Task A_rule_made_in_the_dialog_forwards_bytes_and_its_page_shows_them()
    {
        using var admin = await _core.ClientAsync();
        await using var node = _core.NewNode("ui-fwd");
        node.ExtraArgs.AddRange(ForwardFixture.AllowLoopback);
        await _core.StartOnlineNodeAsync(node, admin, "forward");
        await using var sink = HashSink.Start();
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var port = FreePorts.Tcp();

        _page = await UiFlows.AdminPageAsync(browser, _core);
        await _page.GotoAsync("/forwards");
        await UiFlows.WaitForCircuitAsync(_page);
        await Assertions.Expect(_page.GetByTestId("forwards-empty")).ToBeVisibleAsync();
        await _page.GetByTestId("forward-new-empty").ClickAsync();

        // A port another process holds: the Node's exact refusal shows in the dialog, nothing is kept.
        await Field("forward-field-name").FillAsync("web");
        await _page.GetByTestId("forward-field-node").SelectOptionAsync(new SelectOptionValue { Label = "ui-fwd" });
        await Field("forward-field-listen-address").FillAsync("127.0.0.1");
        await Field("forward-field-listen-port").FillAsync(taken.ToString());
        await Field("forward-field-targets").FillAsync($"127.0.0.1:{sink.Port}");
        await _page.GetByTestId("forward-save").ClickAsync();
        await Assertions.Expect(_page.GetByTestId("forward-problem")).ToContainTextAsync($"port {taken} already in use", new() { Timeout = 15_000 });
        await BrowserFixture.ScreenshotAsync(_page, "forward-dialog-port-in-use");

        await Field("forward-field-listen-port").FillAsync(port.ToString());
        await _page.GetByTestId("forward-save").ClickAsync();
        var row = _page.Locator("[data-testid=forward-row][data-name=web]");
        await Assertions.Expect(row.Locator("[data-testid=forward-status]")).ToHaveAttributeAsync("data-status", "active", new() { Timeout = 15_000 });
        await Assertions.Expect(row.GetByTestId("forward-listen")).ToContainTextAsync($"127.0.0.1:{port}");

        var sent = await HashSink.SendAsync(port, 8 * 1024 * 1024);
        sent.Echoed.Should().Be(sent.Hash);
        await Assertions.Expect(row.GetByTestId("forward-connections")).ToContainTextAsync("1", new() { Timeout = 15_000 });
        await Assertions.Expect(row.GetByTestId("forward-month")).ToContainTextAsync("MiB", new() { Timeout = 15_000 });
        await BrowserFixture.ScreenshotAsync(_page, "forwards-list");

        await row.GetByTestId("forward-name").ClickAsync();
        await _page.WaitForURLAsync("**/forwards/*");
        await Assertions.Expect(_page.GetByTestId("forward-diagram")).ToBeVisibleAsync();
        await Assertions.Expect(_page.GetByTestId("forward-diagram")).ToContainTextAsync("ui-fwd");
        await Assertions.Expect(_page.GetByTestId("forward-diagram")).ToContainTextAsync($"127.0.0.1:{sink.Port}");
        await Assertions.Expect(_page.GetByTestId("forward-bytes")).ToContainTextAsync("MiB", new() { Timeout = 15_000 });
        await BrowserFixture.ScreenshotAsync(_page, "forward-page");
    }

    private ILocator Field(string testId) =>
        _page!.Locator($"input[data-testid={testId}], textarea[data-testid={testId}], [data-testid={testId}] input").First;
}
