namespace SentinelX.App.Features.Install;

/// <summary><c>packaging/install.sh</c> as shipped beside the Core, served with this Core's URL filled in.</summary>
public sealed class InstallScript
{
    /// <summary>The text the script carries where the Core's URL goes (its default for <c>--core</c>).</summary>
    public const string CoreUrlPlaceholder = "__SENTINELX_CORE_URL__";

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
    /// A null URL leaves the default empty, so the script asks for <c>--core</c>.</summary>
    public string? Render(string? publicUrl) => _template.Value?.Replace(CoreUrlPlaceholder, publicUrl ?? "", StringComparison.Ordinal);
}
