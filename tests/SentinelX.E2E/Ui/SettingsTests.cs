using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E.Ui;

/// <summary>
/// The settings page and the "Add server" dialog, driven in Chromium against a real Core; the install
/// command the dialog shows is run for real and the Node it installs comes online.
/// </summary>
[Collection(UiCollection.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class SettingsTests(BrowserFixture browser) : IAsyncLifetime
{
    private static readonly string Rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";

    private readonly CoreInstance _core = new();
    private readonly string _work = Directory.CreateTempSubdirectory("sentinelx-settings-").FullName;

    public async Task InitializeAsync()
    {
        // The Core serves the Node the tests published, as a release serves node/<rid>/sentinelx-node.
        _core.Environment["SENTINELX_Downloads__NodeDirectory"] = Path.GetDirectoryName(Path.GetDirectoryName(Binaries.Node))!;
        await _core.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _core.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Add_server_shows_a_command_that_installs_a_node_which_comes_online()
    {
        var page = await UiFlows.AdminPageAsync(browser, _core);
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var key = await _core.EnrollmentKeyAsync();

        var command = await OpenAddServerAsync(page);
        var script = await _core.Http.GetStringAsync("/install.sh");
        var scriptSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(script)));

        command.Should().StartWith($"f=$(mktemp) && {{ curl -fsSL {_core.Url}/install.sh -o \"$f\" && echo \"{scriptSha}  $f\" | sha256sum -c --quiet && SENTINELX_KEY={key} ")
            .And.NotContain("--allow", "nothing is ticked: monitor only");
        await page.GetByTestId("allow-exec").ClickAsync();
        await Assertions.Expect(page.GetByTestId("install-command")).ToContainTextAsync("--allow exec");
        command = (await page.GetByTestId("install-command").InnerTextAsync()).Trim();
        (await page.GetByTestId("node-rids").TextContentAsync()).Should().Contain(Rid);
        (await page.GetByTestId("manual-command").TextContentAsync()).Should()
            .Contain($"{_core.Url}/download/sentinelx-node-{Rid}").And.Contain($"SENTINELX_NODE_KEY={key} ./sentinelx-node run --core {_core.Url} --allow exec");
        await page.GetByTestId("copy-install").ClickAsync();
        await Assertions.Expect(page.GetByTestId("copy-install")).ToContainTextAsync("Copied");
        (await page.EvaluateAsync<string>("() => navigator.clipboard.readText()")).Should().Be(command);
        await BrowserFixture.ScreenshotAsync(page, "add-server");

        // What a person does on the new server, with sudo left out and everything under a temp prefix.
        var prefix = Path.Combine(_work, "server");
        var install = await RunAsync("bash", "-c", command.Replace("bash \"$f\"", $"bash \"$f\" --prefix {prefix} --no-start --name ui-added", StringComparison.Ordinal));
        install.Code.Should().Be(0, install.Output);
        var config = Path.Combine(prefix, "etc/sentinelx/node.toml");
        (await File.ReadAllTextAsync(config)).Should().Contain("allow = [\"exec\"]").And.NotContain(key, "the enrollment key is never written into the config");
        (await File.ReadAllTextAsync(Path.Combine(prefix, "var/lib/sentinelx-node/enrollment.key"))).Trim().Should().Be(key);

        await using var node = ManagedProcess.Start(Path.Combine(prefix, "usr/local/bin/sentinelx-node"), ["run", "--config", config], _work,
            new Dictionary<string, string> { ["SENTINELX_NODE_MACHINE_ID"] = Guid.NewGuid().ToString("N") });
        using var viewer = await _core.ClientAsync("viewer");
        await Eventually.WaitAsync(async () =>
                (await CoreInstance.GetJsonAsync<List<NodeView>>(viewer, "/api/v1/nodes")).Any(n => n.Name == "ui-added" && n.Online),
            TimeSpan.FromSeconds(30), "the installed Node online", () => _core.Output + node.Output);
    }

    [Fact]
    public async Task Rotating_the_key_and_saving_the_public_url_change_what_add_server_shows()
    {
        var page = await UiFlows.AdminPageAsync(browser, _core);
        var oldKey = await _core.EnrollmentKeyAsync();
        await page.GotoAsync("/settings");
        await UiFlows.WaitForCircuitAsync(page);

        var shown = page.GetByTestId("enrollment-key");
        (await shown.InnerTextAsync()).Should().NotContain(oldKey[4..], "the key is masked until revealed");
        await page.GetByTestId("reveal-key").ClickAsync();
        await Assertions.Expect(shown).ToHaveTextAsync(oldKey);

        await page.GetByTestId("rotate-key").ClickAsync();
        var confirm = page.Locator(".rz-dialog");
        await Assertions.Expect(confirm).ToContainTextAsync("stay connected");
        await BrowserFixture.ScreenshotAsync(page, "settings-rotate-confirm");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Rotate key" }).ClickAsync();
        await Assertions.Expect(shown).Not.ToHaveTextAsync(oldKey);
        var newKey = await _core.EnrollmentKeyAsync();
        newKey.Should().NotBe(oldKey);
        await Assertions.Expect(shown).ToHaveTextAsync(newKey);

        await Field(page, "public-url").FillAsync("https://monitor.example.com/");
        await page.GetByTestId("save-public-url").ClickAsync();
        await Assertions.Expect(page.Locator(".rz-notification")).ToContainTextAsync("Public URL saved.");
        await Assertions.Expect(page.GetByTestId("public-url-in-use")).ToContainTextAsync("https://monitor.example.com");

        // A URL with a path is refused with the reason, and the saved one stays in use.
        await Field(page, "public-url").FillAsync("https://other.example.com/monitor");
        await page.GetByTestId("save-public-url").ClickAsync();
        await Assertions.Expect(page.GetByTestId("public-url-error")).ToContainTextAsync("must not have a path");
        await BrowserFixture.ScreenshotAsync(page, "settings-url-error");
        await page.ReloadAsync();
        await UiFlows.WaitForCircuitAsync(page);
        (await Field(page, "public-url").InputValueAsync()).Should().Be("https://monitor.example.com");

        (await OpenAddServerAsync(page)).Should().StartWith("f=$(mktemp) && { curl -fsSL https://monitor.example.com/install.sh -o \"$f\"")
            .And.Contain($"SENTINELX_KEY={newKey} ");
        (await _core.Http.GetStringAsync("/install.sh")).Should().Contain("default_core='https://monitor.example.com'", "the served script uses the saved URL too");
    }

    [Fact]
    public async Task Saved_retention_is_used_after_a_restart_and_bad_retention_is_refused()
    {
        var page = await UiFlows.AdminPageAsync(browser, _core);
        await page.GotoAsync("/settings");
        await UiFlows.WaitForCircuitAsync(page);
        (await Field(page, "retention-raw").InputValueAsync()).Should().Be("24", "the configured default until something is saved");

        await SetNumberAsync(page, "retention-raw", "48");
        await SetNumberAsync(page, "retention-minute", "30");
        await SetNumberAsync(page, "retention-hour", "365");
        await page.GetByTestId("save-retention").ClickAsync();
        await Assertions.Expect(page.Locator(".rz-notification")).ToContainTextAsync("Data retention saved");
        await Assertions.Expect(page.GetByTestId("retention-hint")).ToContainTextAsync("35 MB");
        await BrowserFixture.ScreenshotAsync(page, "settings-page");

        // 1-minute averages that end before the raw samples do would leave a hole in charts.
        await SetNumberAsync(page, "retention-minute", "1");
        await page.GetByTestId("save-retention").ClickAsync();
        await Assertions.Expect(page.GetByTestId("retention-error")).ToContainTextAsync("at least as long as raw samples");

        // The default theme is what a browser without its own choice gets on the sign-in page.
        await page.GetByTestId("default-theme").GetByText("Dark").ClickAsync();
        await page.GetByTestId("save-theme").ClickAsync();
        await Assertions.Expect(page.Locator(".rz-notification")).ToContainTextAsync("Default theme saved.");
        var stranger = await browser.NewPageAsync(_core);
        await stranger.GotoAsync("/account/login");
        (await stranger.Locator("body").GetAttributeAsync("class")).Should().Be("theme-dark");
        await BrowserFixture.ScreenshotAsync(stranger, "settings-default-theme-login");

        await _core.StopAsync();
        await _core.StartAsync();
        await page.GotoAsync("/settings");
        await UiFlows.WaitForCircuitAsync(page);
        (await Field(page, "retention-raw").InputValueAsync()).Should().Be("48");
        (await Field(page, "retention-minute").InputValueAsync()).Should().Be("30");
        (await Field(page, "retention-hour").InputValueAsync()).Should().Be("365");
        using var db = _core.OpenDatabase();
        using var read = db.CreateCommand();
        read.CommandText = "SELECT value FROM settings WHERE key = 'retention.minute_days'";
        (await read.ExecuteScalarAsync()).Should().Be("30");
    }

    [Fact]
    public async Task Settings_and_add_server_in_dark_on_a_phone_and_in_chinese()
    {
        var dark = await UiFlows.AdminPageAsync(browser, _core);
        await dark.GetByTestId("theme").SelectOptionAsync("dark");
        await dark.WaitForSelectorAsync("body.theme-dark");
        await dark.GotoAsync("/settings");
        await UiFlows.WaitForCircuitAsync(dark);
        await BrowserFixture.ScreenshotAsync(dark, "settings-page-dark");
        await OpenAddServerAsync(dark);
        await BrowserFixture.ScreenshotAsync(dark, "add-server-dark");

        var phone = await browser.NewPageAsync(_core, phone: true);
        await UiFlows.LoginAsync(phone, returnUrl: "/settings");
        await BrowserFixture.ScreenshotAsync(phone, "settings-page-phone");
        await phone.Locator(".sx-menu-button").ClickAsync();
        await OpenAddServerAsync(phone);
        var box = await phone.GetByTestId("install-command").BoundingBoxAsync();
        (box!.X + box.Width).Should().BeLessThanOrEqualTo(390, "the command wraps inside the phone's width");
        await BrowserFixture.ScreenshotAsync(phone, "add-server-phone");

        var chinese = await browser.NewPageAsync(_core, locale: "zh-CN");
        await UiFlows.LoginAsync(chinese, returnUrl: "/settings");
        await chinese.GetByTestId("language").SelectOptionAsync("zh-CN");
        await chinese.WaitForFunctionAsync("() => document.documentElement.lang === 'zh-CN'");
        await UiFlows.WaitForCircuitAsync(chinese);
        (await chinese.Locator("h1").First.InnerTextAsync()).Should().Be("设置");
        await BrowserFixture.ScreenshotAsync(chinese, "settings-page-zh");
        await OpenAddServerAsync(chinese);
        await Assertions.Expect(chinese.Locator(".rz-dialog-titlebar")).ToContainTextAsync("添加服务器");
        await BrowserFixture.ScreenshotAsync(chinese, "add-server-zh");
    }

    [Fact]
    public async Task A_core_without_a_node_binary_warns_instead_of_showing_a_command()
    {
        await using var bare = new CoreInstance();
        var empty = Directory.CreateDirectory(Path.Combine(_work, "no-builds")).FullName;
        bare.Environment["SENTINELX_Downloads__NodeDirectory"] = empty;
        await bare.StartAsync();
        var page = await UiFlows.AdminPageAsync(browser, bare);

        await page.GetByTestId("add-server").ClickAsync();

        await Assertions.Expect(page.GetByTestId("no-node-binary"))
            .ToContainTextAsync("No Node binary has been built yet: run packaging/build-node.sh on the Core's machine");
        (await page.GetByTestId("install-command").CountAsync()).Should().Be(0);
        await BrowserFixture.ScreenshotAsync(page, "add-server-no-binary");
    }

    [Fact]
    public async Task A_viewer_is_refused_the_settings_page_and_has_no_add_server_entry()
    {
        var admin = await browser.NewPageAsync(_core);
        await UiFlows.CreateAdminAsync(admin);
        await AddViewerLikeAdminAsync("watcher");

        var page = await browser.NewPageAsync(_core);
        await UiFlows.LoginAsync(page, user: "watcher");
        (await page.GetByTestId("add-server").CountAsync()).Should().Be(0);
        await page.GotoAsync("/settings");
        await UiFlows.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator(".sx-denied")).ToContainTextAsync("Not allowed");
        (await page.GetByTestId("enrollment-key").CountAsync()).Should().Be(0);
        (await page.ContentAsync()).Should().NotContain(await _core.EnrollmentKeyAsync());
        await BrowserFixture.ScreenshotAsync(page, "settings-viewer-denied");
    }

    /// <summary>Opens the dialog from the menu and returns the install command it shows.</summary>
    private static async Task<string> OpenAddServerAsync(IPage page)
    {
        await page.GetByTestId("add-server").ClickAsync();
        var command = page.GetByTestId("install-command");
        // The box is there at once; the command fills it when the dialog has read the key.
        await Assertions.Expect(command).ToContainTextAsync("curl");
        return (await command.InnerTextAsync()).Trim();
    }

    /// <summary>The input of a Radzen field, whether the test id lands on the input or on its wrapper.</summary>
    private static ILocator Field(IPage page, string testId) =>
        page.Locator($"input[data-testid='{testId}'], [data-testid='{testId}'] input").First;

    private static async Task SetNumberAsync(IPage page, string testId, string value)
    {
        await Field(page, testId).FillAsync(value);
        await Field(page, testId).PressAsync("Tab");
    }

    /// <summary>A second account with the admin's password but the viewer role (the users page is not part of this feature).</summary>
    private async Task AddViewerLikeAdminAsync(string name)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(_core.DataDir, "sentinelx.db")}");
        await db.OpenAsync();
        await using var insert = db.CreateCommand();
        insert.CommandText =
            "INSERT INTO users (id, role, language, theme, dashboard_view, created_at, user_name, normalized_user_name, email_confirmed, " +
            "password_hash, security_stamp, concurrency_stamp, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count) " +
            "SELECT $id, 'viewer', language, theme, dashboard_view, created_at, $name, upper($name), 0, password_hash, $stamp, $stamp, 0, 0, 1, 0 " +
            "FROM users WHERE user_name = $admin";
        insert.Parameters.AddWithValue("$id", Guid.NewGuid().ToString());
        insert.Parameters.AddWithValue("$name", name);
        insert.Parameters.AddWithValue("$stamp", Guid.NewGuid().ToString("N").ToUpperInvariant());
        insert.Parameters.AddWithValue("$admin", UiFlows.AdminName);
        (await insert.ExecuteNonQueryAsync()).Should().Be(1);
    }

    private async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var (code, stdout, stderr) = await ManagedProcess.RunAsync(file, args, _work);
        return (code, stdout + stderr);
    }
}
