using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using SentinelX.App.Features.Settings;

namespace SentinelX.App.Features.Layout;

/// <summary>
/// How the Core sits on the network: the client's real address and scheme behind a reverse proxy
/// named in <c>Proxies:Known</c> (nobody else's X-Forwarded-For is believed), <c>Secure</c> cookies and
/// HSTS once the Core is reached over https, and a warning when it serves plain http beyond loopback.
/// </summary>
public static partial class TransportSecurity
{
    public const string KnownProxiesKey = "Proxies:Known";

    /// <summary>Whether a Core listening on these URLs serves plain http to other machines.</summary>
    public sealed record Exposure(IReadOnlyList<string> PlainHttpUrls)
    {
        public bool PlainHttp => PlainHttpUrls.Count > 0;
    }

    public static WebApplicationBuilder AddTransportSecurity(this WebApplicationBuilder builder, string urls)
    {
        var (proxies, networks, problems) = ParseProxies(builder.Configuration[KnownProxiesKey]);
        if (problems.Count > 0)
            throw new InvalidOperationException($"{KnownProxiesKey}: {string.Join("; ", problems)}");
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback; here only the configured proxies are, and none by default.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var p in proxies) o.KnownProxies.Add(p);
            foreach (var n in networks) o.KnownIPNetworks.Add(n);
            // Each hop is checked against the list, so a chain of known proxies is walked to the client.
            o.ForwardLimit = null;
        });
        builder.Services.AddSingleton(new Exposure(PlainHttpBeyondLoopback(urls)));
        return builder;
    }

    /// <summary>Addresses ("10.0.0.5") and networks ("10.0.0.0/8"), separated by commas or spaces; errors for anything else.</summary>
    public static (List<IPAddress> Proxies, List<System.Net.IPNetwork> Networks, List<string> Problems) ParseProxies(string? value)
    {
        List<IPAddress> proxies = [];
        List<System.Net.IPNetwork> networks = [];
        List<string> problems = [];
        foreach (var item in (value ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (item.Contains('/') && System.Net.IPNetwork.TryParse(item, out var network)) networks.Add(network);
            else if (!item.Contains('/') && IPAddress.TryParse(item, out var address)) proxies.Add(address);
            else problems.Add($"\"{item}\" is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/8)");
        }
        return (proxies, networks, problems);
    }

    /// <summary>The http:// URLs among <paramref name="urls"/> that other machines can reach.</summary>
    public static IReadOnlyList<string> PlainHttpBeyondLoopback(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !IsLoopbackHost(HostOf(u)))
            .ToList();

    private static string HostOf(string url)
    {
        var rest = url["http://".Length..];
        var end = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
        return end <= 0 ? rest : rest[..end];
    }

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);

    public static WebApplication UseTransportSecurity(this WebApplication app)
    {
        // With no known proxy the middleware would believe everyone (it checks the sender only
        // when some proxy is listed), so without Proxies:Known it does not run at all.
        var forwarding = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ForwardedHeadersOptions>>().Value;
        if (forwarding.KnownProxies.Count + forwarding.KnownIPNetworks.Count > 0) app.UseForwardedHeaders();
        var settings = app.Services.GetRequiredService<CoreSettings>();
        app.Use((context, next) =>
        {
            var publicUrl = settings.PublicUrl ?? app.Configuration["Core:PublicUrl"];
            var publicHttps = publicUrl?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true;
            if (context.Request.IsHttps || publicHttps)
            {
                if (!IsLoopbackHost(context.Request.Host.Host))
                    context.Response.Headers.StrictTransportSecurity = "max-age=31536000";
                // Every cookie (sign-in, antiforgery, language) is Secure, even when a TLS proxy in front
                // is not listed in Proxies:Known and the request looks like http here.
                context.Response.OnStarting(() =>
                {
                    SecureCookies(context.Response);
                    return Task.CompletedTask;
                });
            }
            return next(context);
        });

        var exposure = app.Services.GetRequiredService<Exposure>();
        foreach (var url in exposure.PlainHttpUrls) LogPlainHttp(app.Logger, url);
        return app;
    }

    private static void SecureCookies(HttpResponse response)
    {
        var cookies = response.Headers.SetCookie;
        if (cookies.Count == 0) return;
        var secured = cookies.Select(c => c is null || c.Contains("; secure", StringComparison.OrdinalIgnoreCase) ? c : c + "; secure").ToArray();
        response.Headers.SetCookie = secured;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Serving plain HTTP on {Url} to other machines: passwords and sessions cross the network unencrypted. Use HTTPS (a Kestrel certificate, or a reverse proxy with Proxies:Known); see the README, section HTTPS")]
    private static partial void LogPlainHttp(ILogger logger, string url);
}
