using Microsoft.Playwright;

namespace SentinelX.E2E.Infrastructure;

/// <summary>The steps most UI tests start with, done the way a person does them.</summary>
public static class UiFlows
{
    public const string AdminName = "admin";
    public const string AdminPassword = "correct horse battery";

    /// <summary>First visit on an empty Core: the setup page creates the admin, then the login page opens.</summary>
    public static async Task CreateAdminAsync(IPage page, string user = AdminName, string password = AdminPassword)
    {
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/setup");
        await page.GetByTestId("username").FillAsync(user);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("confirm").FillAsync(password);
        await page.GetByTestId("create-admin").ClickAsync();
        await page.WaitForURLAsync("**/account/login**");
    }

    /// <summary>Signs in on the login page and waits for the interactive UI to be connected.</summary>
    public static async Task LoginAsync(IPage page, string user = AdminName, string password = AdminPassword, string returnUrl = "/")
    {
        await page.GotoAsync("/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
        await page.GetByTestId("username").FillAsync(user);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("sign-in").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal));
        await WaitForCircuitAsync(page);
    }

    /// <summary>A fresh Core with an admin signed in, in one call.</summary>
    public static async Task<IPage> AdminPageAsync(BrowserFixture browser, CoreInstance core, bool phone = false)
    {
        var page = await browser.NewPageAsync(core, phone);
        await CreateAdminAsync(page);
        await LoginAsync(page);
        return page;
    }

    /// <summary>Waits until Blazor's server circuit is up, so clicks reach the server.</summary>
    public static Task WaitForCircuitAsync(IPage page) =>
        page.WaitForFunctionAsync("() => window.Blazor && document.querySelector('[data-sx-ready]') !== null", null, new PageWaitForFunctionOptions { Timeout = 15_000 });
}
