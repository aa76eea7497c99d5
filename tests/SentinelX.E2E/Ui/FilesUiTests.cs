using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>The Files tab as an operator uses it: browse, upload through the file input, edit, delete.</summary>
[Collection(UiCollection2.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class FilesUiTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private readonly string _root = Directory.CreateTempSubdirectory("sentinelx-files-ui-").FullName;
    private readonly List<IPage> _pages = [];
    private NodeInstance? _node;

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        foreach (var page in _pages) await page.Context.CloseAsync();
        if (_node is not null) await _node.DisposeAsync();
        await _core.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task An_operator_browses_uploads_edits_and_deletes()
    {
        _pages.Add(await UiFlows.AdminPageAsync(browser, _core));
        var (code, password, stderr) = await _core.CliAsync("user", "add", "olga", "--role", "operator");
        code.Should().Be(0, stderr);
        using var admin = await _core.ClientAsync();
        _node = _core.NewNode("files-ui");
        var config = Path.Combine(_node.DataDir, "node.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { fileRoots = new[] { _root } }));
        _node.ExtraArgs.AddRange(["--config", config, "--allow", "files"]);
        var id = await _core.StartOnlineNodeAsync(_node, admin, "files");
        Directory.CreateDirectory(Path.Combine(_root, "logs"));
        File.WriteAllText(Path.Combine(_root, "logs", "app.log"), "line\n");

        var page = await browser.NewPageAsync(_core);
        _pages.Add(page);
        await UiFlows.LoginAsync(page, "olga", password.Trim());
        await page.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("tab-files").ClickAsync();
        await page.GetByTestId("files-path").FillAsync(_root);
        await page.GetByTestId("files-go").ClickAsync();
        await Assertions.Expect(Row(page, "logs")).ToBeVisibleAsync();

        // Upload through the file input: chunked PUTs to /ui/files with the antiforgery header.
        await page.GetByTestId("files-upload").SetInputFilesAsync(new FilePayload { Name = "hello.txt", MimeType = "text/plain", Buffer = "hello from the browser\n"u8.ToArray() });
        await Assertions.Expect(Row(page, "hello.txt")).ToBeVisibleAsync();
        File.ReadAllText(Path.Combine(_root, "hello.txt")).Should().Be("hello from the browser\n");
        (await Row(page, "hello.txt").InnerTextAsync()).Should().Contain("23 B").And.Contain("0644");

        var download = await page.RunAndWaitForDownloadAsync(() => Row(page, "hello.txt").GetByTestId("files-download").ClickAsync());
        download.SuggestedFilename.Should().Be("hello.txt");
        File.ReadAllText((await download.PathAsync())!).Should().Be("hello from the browser\n", "the cookie download endpoint streams the file");

        await Row(page, "hello.txt").GetByTestId("files-edit").ClickAsync();
        var editor = page.GetByTestId("files-editor");
        await Assertions.Expect(editor).ToHaveValueAsync("hello from the browser\n");
        await editor.FillAsync("edited in the browser\n");
        await page.GetByTestId("files-panel-ok").ClickAsync();
        await Assertions.Expect(page.GetByTestId("files-message")).ToContainTextAsync("Saved");
        File.ReadAllText(Path.Combine(_root, "hello.txt")).Should().Be("edited in the browser\n");
        await BrowserFixture.ScreenshotAsync(page, "files-tab");

        // A non-empty folder needs the explicit recursive confirmation.
        await Row(page, "logs").GetByTestId("files-delete").ClickAsync();
        (await page.GetByTestId("files-panel").InnerTextAsync()).Should().Contain(Path.Combine(_root, "logs"));
        await page.GetByTestId("files-panel-ok").ClickAsync();
        await Assertions.Expect(page.GetByTestId("files-recursive-warning")).ToBeVisibleAsync();
        Directory.Exists(Path.Combine(_root, "logs")).Should().BeTrue();
        await Assertions.Expect(page.GetByTestId("files-panel-ok")).ToBeDisabledAsync();
        await page.GetByTestId("files-recursive").ClickAsync();
        await page.GetByTestId("files-panel-ok").ClickAsync();
        await Assertions.Expect(Row(page, "logs")).ToHaveCountAsync(0);
        Directory.Exists(Path.Combine(_root, "logs")).Should().BeFalse();

        await Row(page, "hello.txt").GetByTestId("files-delete").ClickAsync();
        await page.GetByTestId("files-panel-ok").ClickAsync();
        await Assertions.Expect(page.GetByTestId("files-empty")).ToBeVisibleAsync();
        File.Exists(Path.Combine(_root, "hello.txt")).Should().BeFalse();

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(admin, $"/api/v1/audit?node={id}&action=files.");
        audit.Where(e => e.Actor == "olga").Select(e => e.Action).Should().Contain(["files.write", "files.read", "files.delete"]);

        var phone = await browser.NewPageAsync(_core, phone: true);
        _pages.Add(phone);
        await UiFlows.LoginAsync(phone, "olga", password.Trim());
        File.WriteAllText(Path.Combine(_root, "a-rather-long-file-name-for-a-small-screen.conf"), "x=1\n");
        await phone.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(phone);
        await phone.GetByTestId("tab-files").ClickAsync();
        await phone.GetByTestId("files-path").FillAsync(_root);
        await phone.GetByTestId("files-go").ClickAsync();
        await Assertions.Expect(Row(phone, "a-rather-long-file-name-for-a-small-screen.conf")).ToBeVisibleAsync();
        (await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1")).Should().BeTrue("nothing overflows a phone screen");
        await BrowserFixture.ScreenshotAsync(phone, "files-tab-phone");

        await page.GetByTestId("theme").SelectOptionAsync("dark");
        await page.WaitForFunctionAsync("() => document.body.classList.contains('theme-dark')");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("tab-files").ClickAsync();
        await page.GetByTestId("files-path").FillAsync(_root);
        await page.GetByTestId("files-go").ClickAsync();
        await Assertions.Expect(Row(page, "a-rather-long-file-name-for-a-small-screen.conf")).ToBeVisibleAsync();
        await Row(page, "a-rather-long-file-name-for-a-small-screen.conf").GetByTestId("files-chmod").ClickAsync();
        await BrowserFixture.ScreenshotAsync(page, "files-tab-dark");
        await page.GetByTestId("files-panel-text").FillAsync("0600");
        await page.GetByTestId("files-panel-ok").ClickAsync();
        await Assertions.Expect(Row(page, "a-rather-long-file-name-for-a-small-screen.conf")).ToContainTextAsync("0600");
        File.GetUnixFileMode(Path.Combine(_root, "a-rather-long-file-name-for-a-small-screen.conf")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static ILocator Row(IPage page, string name) => page.Locator($"[data-testid=files-row][data-name='{name}']");
}
