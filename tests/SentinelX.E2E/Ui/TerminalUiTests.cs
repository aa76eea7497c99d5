using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>The web terminal in real Chromium against a real Core and Node: a real shell on a real PTY.</summary>
[Collection(UiCollection2.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed partial class TerminalUiTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private NodeInstance? _node;
    private IPage? _page;

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        if (_page is not null) await _page.Context.CloseAsync();
        if (_node is not null) await _node.DisposeAsync();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task Types_chinese_and_reads_it_back_ctrl_c_interrupts_sizes_follow_the_window_and_two_sessions_run_at_once()
    {
        var page = _page = await UiFlows.AdminPageAsync(browser, _core);
        using var api = await _core.ClientAsync();
        _node = _core.NewNode("shell-ui");
        var id = await _core.StartOnlineNodeAsync(_node, api, "shell");
        await page.GotoAsync($"/nodes/{id}");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("tab-terminal").ClickAsync();

        var first = await ConnectedSessionAsync(page, 1);
        await page.GetByTestId("terminal-screen").First.ClickAsync();
        await page.Keyboard.TypeAsync("echo 你好 && tty");
        await page.Keyboard.PressAsync("Enter");
        // Waits for the whole line (with the next prompt after it), not just its start.
        var text = await ScreenUntilAsync(page, first, PtsLine().IsMatch, "a /dev/pts/N line");
        text.Should().Contain("\n你好\n", "the shell printed the Chinese text back and xterm decoded it as UTF-8");
        PtsLine().IsMatch(text).Should().BeTrue(text);

        // Job control: Ctrl-C stops the foreground job and the prompt comes back.
        await page.Keyboard.TypeAsync("sleep 100");
        await page.Keyboard.PressAsync("Enter");
        await Task.Delay(500);
        await page.Keyboard.PressAsync("Control+C");
        await page.Keyboard.TypeAsync("echo back-$((40+2))");
        await page.Keyboard.PressAsync("Enter");
        await ScreenUntilAsync(page, first, "\nback-42");

        // The PTY has the size the terminal was fitted to, and follows the window.
        var size = await SizeAsync(page, first);
        await page.Keyboard.TypeAsync("stty size");
        await page.Keyboard.PressAsync("Enter");
        await ScreenUntilAsync(page, first, $"\n{size.Rows} {size.Cols}\n");
        await page.SetViewportSizeAsync(1000, 650);
        await page.WaitForFunctionAsync($"() => window.sentinelxTerminals.size('{first}').cols < {size.Cols}");
        var smaller = await SizeAsync(page, first);
        smaller.Rows.Should().BeLessThan(size.Rows);
        await page.Keyboard.TypeAsync("clear; stty size");
        await page.Keyboard.PressAsync("Enter");
        await ScreenUntilAsync(page, first, $"{smaller.Rows} {smaller.Cols}\n");
        await page.SetViewportSizeAsync(1440, 900);

        // A second terminal next to the first: its own shell, the first keeps its screen.
        await page.GetByTestId("terminal-new").ClickAsync();
        var second = await ConnectedSessionAsync(page, 2);
        await page.Locator($"[data-testid=terminal-session][data-session='{second}'] .sx-term-screen").ClickAsync();
        await page.Keyboard.TypeAsync("echo 第二个 $((20+3)) && tty");
        await page.Keyboard.PressAsync("Enter");
        await ScreenUntilAsync(page, second, "\n第二个 23\n");
        var secondPts = PtsLine().Match(await ScreenUntilAsync(page, second, PtsLine().IsMatch, "a /dev/pts/N line")).Value;
        secondPts.Should().NotBeEmpty().And.NotBe(PtsLine().Match(text).Value, "each terminal has its own PTY");
        (await TextAsync(page, first)).Should().Contain($"{smaller.Rows} {smaller.Cols}\n", "the first terminal keeps its screen");
        (await page.GetByTestId("terminal-session-tab").CountAsync()).Should().Be(2);
        await page.WaitForTimeoutAsync(300);
        await BrowserFixture.ScreenshotAsync(page, "terminal-two-sessions");

        // Back to the first tab, then close the second: its shell exits on the Node.
        await page.GetByTestId("terminal-session-tab").First.Locator(".sx-term-tab-name").ClickAsync();
        await Assertions.Expect(page.Locator($"[data-testid=terminal-session][data-session='{first}']")).ToBeVisibleAsync();
        await page.GetByTestId("terminal-close").Nth(1).ClickAsync();
        await page.WaitForFunctionAsync("() => window.sentinelxTerminals.ids().length === 1");
        await Eventually.WaitAsync(async () =>
        {
            var closes = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(api, $"/api/v1/audit?node={id}&action=shell.close");
            return closes.Any(e => e.Detail.StartsWith("closed by user", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(15), "closing the tab ends the shell");

        // Paste from the clipboard with Ctrl+Shift+V; selecting text copies it.
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await page.EvaluateAsync("() => navigator.clipboard.writeText('echo pasted-$((5+5))')");
        await page.Keyboard.PressAsync("Control+Shift+V");
        await page.Keyboard.PressAsync("Enter");
        await ScreenUntilAsync(page, first, "\npasted-10\n");
        await page.EvaluateAsync($"() => window.sentinelxTerminals.selectAll('{first}')");
        await Eventually.WaitAsync(async () => (await page.EvaluateAsync<string>("() => navigator.clipboard.readText()")).Contains("pasted-10", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5), "the selection is on the clipboard");

        // exit in the shell: the status line says how it ended.
        await page.Locator($"[data-testid=terminal-session][data-session='{first}'] .sx-term-screen").ClickAsync();
        await page.Keyboard.TypeAsync("exit 4");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator($"[data-testid=terminal-session][data-session='{first}'] [data-testid=terminal-status]")).ToHaveTextAsync("Exited 4");

        // Phone width, dark theme: a new terminal fits the screen and nothing overflows sideways.
        await page.GetByTestId("theme").SelectOptionAsync("dark");
        await page.WaitForFunctionAsync("() => document.body.classList.contains('theme-dark')");
        await UiFlows.WaitForCircuitAsync(page);
        await page.SetViewportSizeAsync(390, 844);
        await page.GetByTestId("tab-terminal").ClickAsync();
        await page.GetByTestId("terminal-new").ClickAsync();
        var phone = await ConnectedSessionAsync(page, 2);
        await page.Locator($"[data-testid=terminal-session][data-session='{phone}'] .sx-term-screen").ClickAsync();
        await page.Keyboard.TypeAsync("echo 手机 && stty size");
        await page.Keyboard.PressAsync("Enter");
        var narrow = await SizeAsync(page, phone);
        narrow.Cols.Should().BeLessThan(50);
        await ScreenUntilAsync(page, phone, $"\n{narrow.Rows} {narrow.Cols}\n");
        (await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1")).Should().BeTrue("nothing overflows a phone screen");
        await BrowserFixture.ScreenshotAsync(page, "terminal-phone-dark");
    }

    [GeneratedRegex(@"\n/dev/pts/\d+\n")]
    private static partial Regex PtsLine();

    private static async Task<string> ConnectedSessionAsync(IPage page, int count)
    {
        await page.WaitForFunctionAsync($"() => window.sentinelxTerminals && window.sentinelxTerminals.ids().length === {count}");
        var id = await page.EvaluateAsync<string>("() => window.sentinelxTerminals.ids().at(-1)");
        await page.WaitForFunctionAsync($"() => window.sentinelxTerminals.status('{id}') === 'connected'");
        return id;
    }

    private static Task<string> TextAsync(IPage page, string id) =>
        page.EvaluateAsync<string>($"() => window.sentinelxTerminals.text('{id}')");

    private static async Task<(int Cols, int Rows)> SizeAsync(IPage page, string id)
    {
        var size = await page.EvaluateAsync<System.Text.Json.JsonElement>($"() => window.sentinelxTerminals.size('{id}')");
        return (size.GetProperty("cols").GetInt32(), size.GetProperty("rows").GetInt32());
    }

    private static Task<string> ScreenUntilAsync(IPage page, string id, string expected) =>
        ScreenUntilAsync(page, id, text => text.Contains(expected, StringComparison.Ordinal), $"\"{expected}\"");

    private static async Task<string> ScreenUntilAsync(IPage page, string id, Func<string, bool> shows, string what)
    {
        var text = "";
        await Eventually.WaitAsync(async () => shows(text = await TextAsync(page, id)),
            TimeSpan.FromSeconds(15), $"terminal shows {what}", () => "terminal:\n" + text);
        return text;
    }
}
