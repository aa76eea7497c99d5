using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>The Docker tab in Chromium, signed in as an operator, against a real dockerd.</summary>
[Collection(UiCollection2.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class DockerUiTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string OperatorPassword = "operator horse battery";
    private readonly CoreInstance _core = new();
    private readonly List<IPage> _pages = [];
    private readonly List<NodeInstance> _nodes = [];
    private DockerDaemon? _docker;

    public async Task InitializeAsync()
    {
        _docker = await DockerDaemon.StartAsync();
        await _core.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        foreach (var page in _pages) await page.Context.CloseAsync();
        foreach (var node in _nodes) await node.DisposeAsync();
        await _core.DisposeAsync();
        if (_docker is not null) await _docker.DisposeAsync();
    }

    [Fact]
    public async Task An_operator_stops_starts_reads_logs_and_removes_a_container()
    {
        using var admin = await _core.ClientAsync();
        var node = Track(_core.NewNode("docker-ui"));
        node.ExtraArgs.AddRange(["--docker-socket", _docker!.SocketPath]);
        var id = await _core.StartOnlineNodeAsync(node, admin, "docker");
        await _docker.RunTickerAsync("web-ticker");

        var page = await OperatorPageAsync();
        await OpenDockerTabAsync(page, id);
        var row = page.GetByTestId("container-web-ticker");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 20_000 });
        (await row.InnerTextAsync()).Should().Contain(DockerDaemon.Image);
        // The second poll has a CPU reading; its sparkline needs two.
        await Assertions.Expect(row.GetByTestId("container-cpu")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(row.GetByTestId("container-mem")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("docker-images")).ToContainTextAsync(DockerDaemon.Image);

        await row.GetByTestId("container-stop").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "exited", new() { Timeout = 30_000 });
        (await _docker.StateAsync("web-ticker")).Should().Be("exited");

        await row.GetByTestId("container-start").ClickAsync();
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 30_000 });
        (await _docker.StateAsync("web-ticker")).Should().Be("running");

        // Logs: the tail, then following new lines live.
        await row.GetByTestId("container-logs").ClickAsync();
        var log = page.GetByTestId("docker-logs-text");
        await Assertions.Expect(log).ToContainTextAsync("tick-", new() { Timeout = 15_000 });
        await page.GetByTestId("docker-logs-follow").CheckAsync();
        await page.GetByTestId("docker-logs-show").ClickAsync();
        await Assertions.Expect(page.GetByTestId("docker-logs-live")).ToBeVisibleAsync();
        var lines = await TickCountAsync(log);
        await Eventually.WaitAsync(async () => await TickCountAsync(log) >= lines + 2, TimeSpan.FromSeconds(15), "followed lines arrive");
        await BrowserFixture.ScreenshotAsync(page, "docker-tab");

        // Remove asks first, naming the container; the running container is killed and removed.
        await row.GetByTestId("container-remove").ClickAsync();
        var dialog = page.Locator(".rz-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("web-ticker");
        await BrowserFixture.ScreenshotAsync(page, "docker-tab-remove");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        (await _docker.StateAsync("web-ticker")).Should().BeNull();

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(admin, $"/api/v1/audit?node={id}&action=docker.");
        audit.Select(e => e.Action).Reverse().Should().Equal("docker.stop", "docker.start", "docker.remove");
        audit.Should().OnlyContain(e => e.Actor == "ops" && e.ActorKind == "user" && e.Target == "web-ticker" && e.Result == "ok");

        await page.GetByTestId("theme").SelectOptionAsync("dark");
        await page.WaitForFunctionAsync("() => document.body.classList.contains('theme-dark')");
        await UiFlows.WaitForCircuitAsync(page);
        await _docker.RunTickerAsync("dark-ticker");
        await OpenDockerTabAsync(page, id);
        await Assertions.Expect(page.GetByTestId("container-dark-ticker").GetByTestId("container-cpu")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await BrowserFixture.ScreenshotAsync(page, "docker-tab-dark");

        var phone = Track(await browser.NewPageAsync(_core, phone: true));
        await UiFlows.LoginAsync(phone, "ops", OperatorPassword);
        await OpenDockerTabAsync(phone, id);
        await Assertions.Expect(phone.GetByTestId("container-dark-ticker")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        (await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1")).Should().BeTrue("the tables scroll inside their box");
        await BrowserFixture.ScreenshotAsync(phone, "docker-tab-phone");
    }

    [Fact]
    public async Task A_server_without_docker_says_so_in_the_tab()
    {
        using var admin = await _core.ClientAsync();
        var node = Track(_core.NewNode("no-docker-ui"));
        var missing = Path.Combine(Path.GetTempPath(), "sx-absent-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        node.ExtraArgs.AddRange(["--docker-socket", missing]);
        var id = await _core.StartOnlineNodeAsync(node, admin, "docker");

        var page = await OperatorPageAsync();
        await OpenDockerTabAsync(page, id);
        await Assertions.Expect(page.GetByTestId("docker-unavailable")).ToContainTextAsync("Docker is not available on this server");
        await Assertions.Expect(page.GetByTestId("docker-unavailable-reason")).ToHaveTextAsync($"no Docker socket at {missing}");
        await BrowserFixture.ScreenshotAsync(page, "docker-tab-unavailable");
    }

    private async Task<IPage> OperatorPageAsync()
    {
        var page = Track(await browser.NewPageAsync(_core));
        await UiFlows.CreateAdminAsync(page);
        await AccountsTestKit.AddUserAsync(_core, "ops", "operator", OperatorPassword);
        await UiFlows.LoginAsync(page, "ops", OperatorPassword);
        return page;
    }

    private static async Task OpenDockerTabAsync(IPage page, string id)
    {
        await page.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("tab-docker").ClickAsync();
        await Assertions.Expect(page.GetByTestId("docker-tab")).ToBeVisibleAsync();
    }

    private static async Task<int> TickCountAsync(ILocator log) =>
        (await log.InnerTextAsync()).Split('\n').Count(l => l.StartsWith("tick-", StringComparison.Ordinal));

    private IPage Track(IPage page)
    {
        _pages.Add(page);
        return page;
    }

    private NodeInstance Track(NodeInstance node)
    {
        _nodes.Add(node);
        return node;
    }
}
