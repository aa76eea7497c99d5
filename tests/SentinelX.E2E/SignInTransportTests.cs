using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.RegularExpressions;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using SentinelX.E2E.Ui;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// First-run setup, sign-in and cookies as seen by a client behind a reverse proxy: the real Core,
/// raw requests carrying X-Forwarded-For / X-Forwarded-Proto the way Caddy or nginx would send them.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed partial class SignInTransportTests : IAsyncLifetime
{
    private const string Password = "transport tests password";
    private const string Visitor = "203.0.113.9";
    private readonly CoreInstance _proxied = new();
    private readonly CoreInstance _direct = new();

    public async Task InitializeAsync()
    {
        // The tests' own requests come from 127.0.0.1: that is the proxy this Core trusts.
        _proxied.Environment["SENTINELX_Proxies__Known"] = "127.0.0.1";
        await Task.WhenAll(_proxied.StartAsync(), _direct.StartAsync());
    }

    public async Task DisposeAsync()
    {
        await _proxied.DisposeAsync();
        await _direct.DisposeAsync();
    }

    [GeneratedRegex(@"setup code: ([A-Z0-9]{12})")]
    private static partial Regex SetupCodeLine();

    [Fact]
    public async Task A_visitor_from_another_machine_needs_the_setup_code_the_core_printed()
    {
        var printed = SetupCodeLine().Match(_proxied.Output);
        printed.Success.Should().BeTrue("the Core prints the setup code while no admin exists:\n" + _proxied.Output);

        using var client = ProxiedClient(_proxied);
        foreach (var code in new[] { "", "WRONGWRONG12", printed.Groups[1].Value + "'; --", new string('A', 64) })
        {
            var token = await AccountsTestKit.AntiforgeryTokenAsync(client, "/setup");
            using var refused = await PostSetupAsync(client, token, "mallory", code);
            refused.StatusCode.Should().Be(HttpStatusCode.OK);
            (await refused.Content.ReadAsStringAsync()).Should().Contain("The setup code is wrong.");
            AccountsTestKit.UserCount(_proxied).Should().Be(0, "code \"" + code + "\"");
        }

        var form = await client.GetStringAsync("/setup");
        form.Should().Contain("data-testid=\"setup-code\"");
        var good = await AccountsTestKit.AntiforgeryTokenAsync(client, "/setup");
        using var created = await PostSetupAsync(client, good, "alice", printed.Groups[1].Value.ToLowerInvariant());
        created.StatusCode.Should().Be(HttpStatusCode.Redirect);
        AccountsTestKit.UserCount(_proxied).Should().Be(1);
    }

    [Fact]
    public async Task Without_known_proxies_x_forwarded_for_is_ignored_and_a_loopback_visitor_needs_no_code()
    {
        using var client = ProxiedClient(_direct);
        var form = await client.GetStringAsync("/setup");
        form.Should().NotContain("data-testid=\"setup-code\"");
        var token = await AccountsTestKit.AntiforgeryTokenAsync(client, "/setup");
        using var created = await PostSetupAsync(client, token, "alice", "");
        created.StatusCode.Should().Be(HttpStatusCode.Redirect);

        // A forged X-Forwarded-For neither dodges the throttle nor lands in the audit log.
        using var signIn = await SignInAsync(client, "alice", "wrong password!");
        var rows = await AuditAsync(_direct, "account.sign-in-failed");
        rows.Should().ContainSingle(r => r.Target == "alice").Which.Address.Should().Be("127.0.0.1");
    }

    [Fact]
    public async Task Behind_a_known_tls_proxy_sign_ins_are_audited_with_the_real_address_and_the_cookie_is_secure_with_hsts()
    {
        using (var setup = ProxiedClient(_proxied))
        {
            var token = await AccountsTestKit.AntiforgeryTokenAsync(setup, "/setup");
            var code = SetupCodeLine().Match(_proxied.Output).Groups[1].Value;
            (await PostSetupAsync(setup, token, "alice", code)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        }

        using var client = ProxiedClient(_proxied, https: true);
        using (var wrong = await SignInAsync(client, "alice", "wrong password!"))
            wrong.StatusCode.Should().Be(HttpStatusCode.OK, "the form again, with the error");
        using var ok = await SignInAsync(client, "alice", Password);
        ok.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var auth = ok.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sx-auth=", StringComparison.Ordinal));
        auth.Should().ContainEquivalentOf("; secure").And.ContainEquivalentOf("httponly");
        ok.Headers.GetValues("Strict-Transport-Security").Single().Should().StartWith("max-age=");

        (await AuditAsync(_proxied, "account.sign-in")).Should().ContainSingle(r => r.Target == "alice" && r.Address == Visitor && r.Result == "ok");
        (await AuditAsync(_proxied, "account.sign-in-failed")).Should().ContainSingle(r => r.Target == "alice" && r.Address == Visitor
            && r.Detail == "wrong user name or password");

        // The same Core over plain http: no Secure flag (the browser would drop the cookie), no HSTS.
        using var plain = ProxiedClient(_proxied);
        using var plainOk = await SignInAsync(plain, "alice", Password);
        plainOk.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sx-auth=", StringComparison.Ordinal)).Should().NotContainEquivalentOf("secure");
        plainOk.Headers.Contains("Strict-Transport-Security").Should().BeFalse();
    }

    /// <summary>A client as a reverse proxy forwards it: the visitor's address, and https when the proxy terminates TLS.</summary>
    private static HttpClient ProxiedClient(CoreInstance core, bool https = false)
    {
        // Cookies are kept by hand: a cookie container would not send Secure cookies back over the test's http.
#pragma warning disable CA2000 // the returned client owns its handlers and disposes them with itself
        var client = new HttpClient(new ForwardedCookies { InnerHandler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false } })
#pragma warning restore CA2000
        {
            BaseAddress = new Uri(core.Url),
            Timeout = TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Add("X-Forwarded-For", Visitor);
        if (https) client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        // HSTS is never sent for a loopback host name; a proxy passes the public one on.
        client.DefaultRequestHeaders.Host = "sentinelx.example";
        return client;
    }

    private static async Task<HttpResponseMessage> PostSetupAsync(HttpClient client, string token, string user, string code)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = token,
            ["Input.UserName"] = user,
            ["Input.Password"] = Password,
            ["Input.Confirm"] = Password,
            ["Input.SetupCode"] = code,
        });
        return await client.PostAsync("/setup", form);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string user, string password)
    {
        var token = await AccountsTestKit.AntiforgeryTokenAsync(client, "/account/login");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.UserName"] = user,
            ["Input.Password"] = password,
        });
        return await client.PostAsync("/account/login", form);
    }

    private static async Task<List<AuditEntryView>> AuditAsync(CoreInstance core, string action)
    {
        using var admin = await core.ClientAsync();
        return await CoreInstance.GetJsonAsync<List<AuditEntryView>>(admin, "/api/v1/audit?action=" + action);
    }

    /// <summary>The cookie jar of a browser behind the TLS proxy: every cookie goes back, Secure or not.</summary>
    private sealed class ForwardedCookies : DelegatingHandler
    {
        private readonly Dictionary<string, string> _jar = new(StringComparer.Ordinal);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_jar)
            {
                if (_jar.Count > 0) request.Headers.Add("Cookie", string.Join("; ", _jar.Select(c => c.Key + "=" + c.Value)));
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
            {
                lock (_jar)
                {
                    foreach (var cookie in cookies)
                    {
                        var pair = cookie.Split(';')[0];
                        var eq = pair.IndexOf('=', StringComparison.Ordinal);
                        if (eq > 0) _jar[pair[..eq]] = pair[(eq + 1)..];
                    }
                }
            }
            return response;
        }
    }
}
