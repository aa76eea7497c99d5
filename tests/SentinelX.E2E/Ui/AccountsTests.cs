using System.Diagnostics.CodeAnalysis;
using System.Net;
using FluentAssertions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;
using Xunit;
using static SentinelX.E2E.Ui.AccountsTestKit;

namespace SentinelX.E2E.Ui;

[Collection(UiCollection.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class AccountsTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string OtherPassword = "another long password";
    private readonly CoreInstance _core = new();

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync()
    {
        await browser.CloseContextsAsync();
        await _core.DisposeAsync().AsTask();
    }

    [Fact]
    public async Task Two_setup_posts_at_the_same_moment_create_exactly_one_admin()
    {
        using var first = CookieClient(_core);
        using var second = CookieClient(_core);
        var firstToken = await AntiforgeryTokenAsync(first, "/setup");
        var secondToken = await AntiforgeryTokenAsync(second, "/setup");

        var answers = await Task.WhenAll(
            PostSetupAsync(first, firstToken, "alice", UiFlows.AdminPassword),
            PostSetupAsync(second, secondToken, "mallory", UiFlows.AdminPassword));

        UserCount(_core).Should().Be(1);
        answers.Count(a => a.StatusCode == HttpStatusCode.Redirect && a.Headers.Location!.ToString().Contains("created=true")).Should().Be(1);

        // The setup page is gone, and a late post changes nothing.
        using var late = CookieClient(_core);
        var page = await late.GetAsync("/setup");
        page.StatusCode.Should().Be(HttpStatusCode.Redirect);
        page.Headers.Location!.ToString().Should().Contain("/account/login");
        var token = await AntiforgeryTokenAsync(late, "/account/login");
        await PostSetupAsync(late, token, "eve", UiFlows.AdminPassword);
        UserCount(_core).Should().Be(1);
    }

    [Fact]
    public async Task Repeated_wrong_passwords_block_sign_in_with_a_countdown()
    {
        var page = await browser.NewPageAsync(_core);
        await UiFlows.CreateAdminAsync(page);
        for (var i = 0; i < 5; i++)
        {
            await SubmitPasswordAsync(page, UiFlows.AdminName, "wrong password " + i);
            await page.GetByTestId("login-error").WaitForAsync();
        }
        (await page.GetByTestId("login-error").InnerTextAsync()).Should().MatchRegex(@"Too many failed sign-in attempts\. Try again in \d+ s\.");

        // Even the right password waits now.
        await SubmitPasswordAsync(page, UiFlows.AdminName, UiFlows.AdminPassword);
        (await page.GetByTestId("login-error").InnerTextAsync()).Should().StartWith("Too many failed sign-in attempts.");
        page.Url.Should().Contain("/account/login");
        await BrowserFixture.ScreenshotAsync(page, "accounts-rate-limit");
    }

    [Fact]
    public async Task Two_factor_enrolment_then_sign_in_with_a_code_and_once_with_a_recovery_code()
    {
        var page = await UiFlows.AdminPageAsync(browser, _core);
        await page.GotoAsync("/account/profile");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("setup-2fa").ClickAsync();
        await page.GetByTestId("qr").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "accounts-profile-qr");
        var key = (await page.GetByTestId("2fa-key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal);

        // A wrong code does not turn it on.
        await page.GetByTestId("2fa-code").FillAsync(Totp(key) == "000000" ? "111111" : "000000");
        await page.GetByTestId("enable-2fa").ClickAsync();
        await page.GetByTestId("2fa-error").WaitForAsync();

        await page.GetByTestId("2fa-code").FillAsync(Totp(key));
        await page.GetByTestId("enable-2fa").ClickAsync();
        await page.GetByTestId("recovery-codes").WaitForAsync();
        var codes = await page.GetByTestId("recovery-code").AllInnerTextsAsync();
        codes.Should().HaveCount(10).And.OnlyHaveUniqueItems();
        await BrowserFixture.ScreenshotAsync(page, "accounts-recovery-codes");
        await page.GetByTestId("codes-saved").ClickAsync();
        await page.GetByTestId("2fa-on").WaitForAsync();
        (await page.GetByTestId("2fa-on").InnerTextAsync()).Should().Contain("10 recovery codes left");

        // Password alone is no longer enough: the code step follows (shown here in Chinese).
        await SignOutAsync(page);
        await SubmitPasswordAsync(page, UiFlows.AdminName, UiFlows.AdminPassword);
        await page.WaitForURLAsync("**/account/login-2fa**");
        await page.GetByTestId("lang-zh-CN").ClickAsync();
        await page.WaitForFunctionAsync("() => document.documentElement.lang === 'zh-CN'");
        (await page.Locator("h1").InnerTextAsync()).Should().Be("两步验证登录");
        await BrowserFixture.ScreenshotAsync(page, "accounts-2fa-step-zh");
        await page.GetByTestId("code").FillAsync(Totp(key));
        await page.GetByTestId("verify").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
        await UiFlows.WaitForCircuitAsync(page);

        // A recovery code works once.
        async Task SignInAgainWithAsync(string code)
        {
            await SignOutAsync(page);
            await SubmitPasswordAsync(page, UiFlows.AdminName, UiFlows.AdminPassword);
            await page.WaitForURLAsync("**/account/login-2fa**");
            await page.GetByTestId("code").FillAsync(code);
            await page.GetByTestId("verify").ClickAsync();
        }

        await SignInAgainWithAsync(codes[3]);
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
        await UiFlows.WaitForCircuitAsync(page);

        await SignInAgainWithAsync(codes[3]);
        await page.GetByTestId("login-error").WaitForAsync();
        page.Url.Should().Contain("/account/login-2fa");

        // With a code again; then a new password and two-factor off keep this browser signed in.
        await page.GetByTestId("code").FillAsync(Totp(key));
        await page.GetByTestId("verify").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
        await page.GotoAsync("/account/profile");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("current-password").FillAsync(UiFlows.AdminPassword);
        await page.GetByTestId("new-password").FillAsync(OtherPassword);
        await page.GetByTestId("confirm-password").FillAsync(OtherPassword);
        await page.GetByTestId("change-password").ClickAsync();
        await page.WaitForURLAsync("**/account/profile?done=password");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("disable-password").FillAsync(OtherPassword);
        await page.GetByTestId("disable-2fa").ClickAsync();
        await page.WaitForURLAsync("**/account/profile?done=2fa-off");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("setup-2fa").WaitForAsync();

        await SignOutAsync(page);
        await UiFlows.LoginAsync(page, UiFlows.AdminName, OtherPassword);
        page.Url.Should().EndWith("/");
    }

    [Fact]
    public async Task Admin_manages_users_and_api_tokens()
    {
        var page = await UiFlows.AdminPageAsync(browser, _core);
        await page.GotoAsync("/users");
        await UiFlows.WaitForCircuitAsync(page);

        await page.GetByTestId("new-user-name").FillAsync("carol");
        await page.GetByTestId("new-user-role").SelectOptionAsync("viewer");
        await page.GetByTestId("new-user-password").FillAsync(UiFlows.AdminPassword);
        await page.GetByTestId("add-user").ClickAsync();
        await page.GetByTestId("user-row-carol").WaitForAsync();
        UserRole(_core, "carol").Should().Be("viewer");

        // The only admin cannot demote themselves.
        await page.GetByTestId("role-admin").SelectOptionAsync("operator");
        await page.GetByTestId("users-error").WaitForAsync();
        (await page.GetByTestId("users-error").InnerTextAsync()).Should().Contain("last administrator");
        UserRole(_core, "admin").Should().Be("admin");
        (await page.GetByTestId("role-admin").InputValueAsync()).Should().Be("admin");

        await page.GetByTestId("role-carol").SelectOptionAsync("operator");
        await page.GetByTestId("users-notice").WaitForAsync();
        UserRole(_core, "carol").Should().Be("operator");

        await page.GetByTestId("reset-carol").ClickAsync();
        await page.GetByTestId("reset-password-carol").FillAsync(OtherPassword);
        await page.GetByTestId("reset-save-carol").ClickAsync();
        await page.GetByTestId("reset-carol").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "accounts-users");

        // Carol signs in with the new password as an operator: the dashboard, not the admin pages.
        var carol = await browser.NewPageAsync(_core);
        await UiFlows.LoginAsync(carol, "carol", OtherPassword);
        (await carol.Locator("h1").First.InnerTextAsync()).Should().Be("Dashboard");
        await carol.GotoAsync("/users");
        await carol.GetByText("Not allowed").WaitForAsync();
        (await carol.GetByTestId("users-table").CountAsync()).Should().Be(0);

        await page.GetByTestId("delete-carol").ClickAsync();
        await page.Locator(".rz-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await page.GetByTestId("user-row-carol").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        UserCount(_core).Should().Be(1);

        // API tokens: created with a role and an expiry, shown once, used, revoked.
        await page.GotoAsync("/tokens");
        await UiFlows.WaitForCircuitAsync(page);
        await page.GetByTestId("token-name").FillAsync("backup");
        await page.GetByTestId("token-role").SelectOptionAsync("viewer");
        await page.GetByTestId("token-expiry").SelectOptionAsync("days");
        await page.GetByTestId("token-days").FillAsync("30");
        await page.GetByTestId("create-token").ClickAsync();
        var secret = await page.GetByTestId("token-secret").InnerTextAsync();
        secret.Should().StartWith("sxt_");
        await page.GetByTestId("token-row-backup").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "accounts-tokens");
        await page.SetViewportSizeAsync(390, 844);
        await BrowserFixture.ScreenshotAsync(page, "accounts-tokens-phone");
        await page.SetViewportSizeAsync(1440, 900);

        using var api = new HttpClient { BaseAddress = new Uri(_core.Url) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        (await api.GetAsync("/api/v1/nodes")).StatusCode.Should().Be(HttpStatusCode.OK);

        await page.GetByTestId("token-done").ClickAsync();
        await page.GetByTestId("token-secret").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.GetByTestId("revoke-backup").ClickAsync();
        await page.Locator(".rz-dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await page.GetByTestId("token-state-backup").GetByText("Revoked").WaitForAsync();
        (await api.GetAsync("/api/v1/nodes")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        await page.GetByTestId("theme").SelectOptionAsync("dark");
        await page.WaitForSelectorAsync("link[href*='material-dark-base.css']:not([media])", new() { State = WaitForSelectorState.Attached });
        await UiFlows.WaitForCircuitAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "accounts-tokens-dark");
        await page.GotoAsync("/account/profile");
        await UiFlows.WaitForCircuitAsync(page);
        await BrowserFixture.ScreenshotAsync(page, "accounts-profile-dark");
    }

    [Fact]
    public async Task A_viewer_is_kept_out_of_admin_pages_api_and_forms()
    {
        var admin = await browser.NewPageAsync(_core);
        await UiFlows.CreateAdminAsync(admin);
        await AddUserAsync(_core, "vera", "viewer", OtherPassword);
        UserCount(_core).Should().Be(2);

        var page = await browser.NewPageAsync(_core, phone: true);
        await UiFlows.LoginAsync(page, "vera", OtherPassword);
        (await page.Locator("h1").First.InnerTextAsync()).Should().Be("Dashboard");
        foreach (var path in new[] { "/users", "/tokens" })
        {
            await page.GotoAsync(path);
            await page.GetByText("Not allowed").WaitForAsync();
        }
        (await page.GetByTestId("users-table").CountAsync() + await page.GetByTestId("tokens-table").CountAsync()).Should().Be(0);
        await BrowserFixture.ScreenshotAsync(page, "accounts-viewer-denied-phone");

        // Settings is an admin page too; until its page is part of the build the route is simply unknown.
        var settings = await page.GotoAsync("/settings");
        if (settings!.Status != 404) await page.GetByText("Not allowed").WaitForAsync();

        // The viewer's API token may read but not create tokens.
        using var viewerApi = await _core.ClientAsync("viewer");
        var refused = await CoreInstance.PostJsonAsync(viewerApi, "/api/v1/tokens", new { name = "mine", role = "admin" });
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await refused.Content.ReadAsStringAsync()).Should().Contain("\"status\":403");

        // A crafted setup post with the viewer's own valid antiforgery token changes nothing.
        using var crafted = await ClientWithBrowserCookiesAsync(_core, page);
        var token = await AntiforgeryTokenAsync(crafted, "/");
        await PostSetupAsync(crafted, token, "vera2", OtherPassword);
        UserCount(_core).Should().Be(2);
        UserRole(_core, "vera").Should().Be("viewer");
    }
}
