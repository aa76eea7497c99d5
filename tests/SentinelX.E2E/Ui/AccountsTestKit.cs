using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SentinelX.E2E.Infrastructure;

namespace SentinelX.E2E.Ui;

/// <summary>What the account tests need besides a browser: an authenticator app, raw form posts, the user CLI.</summary>
internal static partial class AccountsTestKit
{
    /// <summary>An authenticator app: RFC 6238 TOTP, HMAC-SHA1, 30 s steps, 6 digits, over a Base32 key.</summary>
    public static string Totp(string base32Key, DateTimeOffset? at = null)
    {
        var key = Base32Decode(base32Key);
        var step = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() / 30;
        var counter = new byte[8];
        for (var i = 7; i >= 0; i--, step >>= 8) counter[i] = (byte)(step & 0xff);
#pragma warning disable CA5350 // RFC 6238 as authenticator apps implement it: HMAC-SHA1
        var hash = HMACSHA1.HashData(key, counter);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32Decode(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var clean = text.Replace(" ", "", StringComparison.Ordinal).TrimEnd('=').ToUpperInvariant();
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in clean)
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>A cookie-keeping client that does not follow redirects, so a test sees what each post answered.</summary>
#pragma warning disable CA2000 // the returned client owns the handler and disposes it with itself
    public static HttpClient CookieClient(CoreInstance core, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(core.Url),
            Timeout = TimeSpan.FromSeconds(60),
        };
#pragma warning restore CA2000

    /// <summary>The antiforgery field of a page, as a browser would submit it (its cookie lands in the client).</summary>
    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(path);
        var match = AntiforgeryField().Match(html);
        if (!match.Success) throw new InvalidOperationException($"no antiforgery field on {path}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public static async Task<HttpResponseMessage> PostSetupAsync(HttpClient client, string token, string user, string password)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = token,
            ["Input.UserName"] = user,
            ["Input.Password"] = password,
            ["Input.Confirm"] = password,
        });
        return await client.PostAsync("/setup", form);
    }

    /// <summary>The browser's cookies (the sign-in included) in a client, to post forms the way a crafted request would.</summary>
    public static async Task<HttpClient> ClientWithBrowserCookiesAsync(CoreInstance core, IPage page)
    {
        var cookies = new CookieContainer();
        foreach (var c in await page.Context.CookiesAsync())
            cookies.Add(new Uri(core.Url), new System.Net.Cookie(c.Name, c.Value, c.Path, c.Domain));
        return CookieClient(core, cookies);
    }

    public static long UserCount(CoreInstance core)
    {
        using var db = core.OpenDatabase();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM users";
        return (long)command.ExecuteScalar()!;
    }

    public static string? UserRole(CoreInstance core, string name)
    {
        using var db = core.OpenDatabase();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT role FROM users WHERE user_name = $name";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as string;
    }

    /// <summary><c>sentinelx user add NAME --role ROLE</c> with the password on stdin.</summary>
    public static async Task AddUserAsync(CoreInstance core, string name, string role, string password)
    {
        var info = new System.Diagnostics.ProcessStartInfo(Binaries.Core)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = core.DataDir,
        };
        foreach (var a in new[] { "user", "add", name, "--role", role, "--data", core.DataDir }) info.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(info)!;
        await p.StandardInput.WriteLineAsync(password);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"user add failed ({p.ExitCode}): {await stderr}");
        if ((await stdout).Length != 0) throw new InvalidOperationException("a typed password must not be echoed on stdout");
    }

    /// <summary>The password step of sign-in, up to wherever it leads (the dashboard or the code step).</summary>
    public static async Task SubmitPasswordAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("/account/login");
        await page.GetByTestId("username").FillAsync(user);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("sign-in").ClickAsync();
    }

    public static async Task SignOutAsync(IPage page)
    {
        await page.GetByTestId("logout").ClickAsync();
        await page.WaitForURLAsync("**/account/login**");
    }
}
