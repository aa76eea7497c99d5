namespace SentinelX.App.Features.Install;

/// <summary><c>packaging/install.sh</c> as shipped beside the Core, served with this Core's URL filled in.</summary>
public sealed class InstallScript
{
    /// <summary>The text the script carries where the Core's URL goes (its default for <c>--core</c>).</summary>
    public const string CoreUrlPlaceholder = "__SENTINELX_CORE_URL__";

    /// <summary>Where the SHA-256 of every Node binary the Core serves goes, as "rid=hex" words.</summary>
    public const string Sha256Placeholder = "__SENTINELX_NODE_SHA256__";

    public const string FileName = "install.sh";

    private readonly Lazy<string?> _template;

    public InstallScript() : this(System.IO.Path.Combine(AppContext.BaseDirectory, FileName))
    {
    }

    internal InstallScript(string path)
    {
        Path = path;
        _template = new Lazy<string?>(() => File.Exists(path) ? File.ReadAllText(path) : null);
    }

    public string Path { get; }

    /// <summary>The script with <paramref name="publicUrl"/> as the default Core, or null when the Core was shipped without it.
    /// A null URL leaves the default empty, so the script asks for <c>--core</c>. <paramref name="pins"/> (rid to SHA-256)
    /// are the checksums the script demands of the binaries it downloads.</summary>
    public string? Render(string? publicUrl, IReadOnlyDictionary<string, string>? pins = null) =>
        _template.Value?
            .Replace(CoreUrlPlaceholder, publicUrl ?? "", StringComparison.Ordinal)
            .Replace(Sha256Placeholder, string.Join(' ', (pins ?? new Dictionary<string, string>())
                .Where(p => NodeBinaries.Rids.Contains(p.Key) && p.Value.Length == 64 && p.Value.All(char.IsAsciiHexDigitLower))
                .OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")), StringComparison.Ordinal);

    /// <summary>The lowercase hex SHA-256 of the script as served (UTF-8), which the install line checks before running it.</summary>
    public static string Sha256Of(string script) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(script)));
}
