using Microsoft.Extensions.Options;
using SentinelX.App.Features.Settings;

namespace SentinelX.App.Features.Install;

/// <summary>The Core's public URL and the one-line install command built from it (the UI shows the same line).</summary>
public sealed class InstallCommand(IOptions<CorePublicOptions> options, CoreSettings settings)
{
    /// <summary>The public URL saved on the settings page, else <c>Core:PublicUrl</c>; null when neither is set.</summary>
    public string? ConfiguredUrl => settings.PublicUrl ?? NormalizeUrl(options.Value.PublicUrl);

    /// <summary><see cref="ConfiguredUrl"/> when set, else the scheme, host and path base the request came to; null when neither is usable.</summary>
    public string? PublicUrl(HttpRequest request)
    {
        if (ConfiguredUrl is { } configured) return configured;
        if (!request.Host.HasValue) return null;
        // Behind a reverse proxy the request's own address is the internal one: set Core:PublicUrl there.
        return NormalizeUrl($"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}");
    }

    /// <summary><see cref="ConfiguredUrl"/> when set, else the address the browser used (<c>NavigationManager.BaseUri</c>).</summary>
    public string? PublicUrl(string browserBaseUri) => ConfiguredUrl ?? NormalizeUrl(browserBaseUri);

    /// <summary>
    /// The line a user pastes into a server's shell (root, or a user who may sudo). It downloads the
    /// script to a temp file and runs it only if its SHA-256 is <paramref name="scriptSha256"/>; the
    /// script carries the binaries' checksums, so whoever sits between the server and the Core
    /// cannot swap either. The key travels in <c>SENTINELX_KEY</c> (an assignment, not an argument),
    /// so <c>ps</c> does not show it. <paramref name="allow"/> becomes <c>--allow</c>; none is monitor-only.
    /// </summary>
    public static string Build(string publicUrl, string key, string scriptSha256, IEnumerable<string> allow)
    {
        var allowed = Shared.Protocol.Capabilities.All.Where(allow.Contains).ToList();
        var args = allowed.Count > 0 ? " --allow " + string.Join(',', allowed) : "";
        // The braces keep the temp file's removal from hiding a failure: the line's status is the install's.
        return $"f=$(mktemp) && {{ curl -fsSL {ShellQuote(publicUrl + "/install.sh")} -o \"$f\" && echo \"{scriptSha256}  $f\" | sha256sum -c --quiet && " +
               $"SENTINELX_KEY={ShellQuote(key)} $([ \"$(id -u)\" = 0 ] || echo sudo --preserve-env=SENTINELX_KEY) bash \"$f\"{args}; s=$?; rm -f \"$f\"; [ $s = 0 ]; }}";
    }

    /// <summary>
    /// An absolute http(s) URL without query, fragment or trailing slash, or null. The result is pasted into
    /// a shell script and a command line, so anything a shell could read as syntax (quotes, spaces, backslashes,
    /// <c>$</c>, backticks) is refused rather than escaped.
    /// </summary>
    public static string? NormalizeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            return null;
        var normalized = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        foreach (var c in normalized)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or ':' or '/' or '[' or ']' or '@' or '%' or '+' or ',' or '=')) return null;
        }

        return normalized;
    }

    /// <summary>The word as POSIX sh reads it back: bare when it is plainly safe, else in single quotes.</summary>
    internal static string ShellQuote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or ':' or '/' or '@' or '%' or '+' or ',' or '=')) return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
