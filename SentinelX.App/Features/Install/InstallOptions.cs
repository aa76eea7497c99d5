using Microsoft.Extensions.Options;

namespace SentinelX.App.Features.Install;

/// <summary>The "Downloads" configuration section: where the Core finds the Node binaries it serves.</summary>
public sealed class DownloadsOptions
{
    public const string Section = "Downloads";

    /// <summary>
    /// A directory laid out as <c>DIR/&lt;rid&gt;/sentinelx-node</c>. Unset: <c>node/</c> next to the Core (where
    /// <c>dotnet run</c> builds the Node for its machine), then <c>artifacts/node/</c> in the working directory
    /// (where <c>packaging/build-node.sh</c> writes).
    /// </summary>
    public string? NodeDirectory { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(NodeDirectory) && !Directory.Exists(NodeDirectory))
            errors.Add($"Downloads:NodeDirectory \"{NodeDirectory}\" does not exist (it should hold <rid>/sentinelx-node, e.g. linux-x64/sentinelx-node).");
        return errors;
    }
}

/// <summary>The "Core" configuration section: how servers reach this Core.</summary>
public sealed class CorePublicOptions
{
    public const string Section = "Core";

    /// <summary>The URL Nodes and install scripts use, e.g. <c>https://monitor.example.com</c>; unset: the address the request came to.</summary>
    public string? PublicUrl { get; set; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(PublicUrl) && InstallCommand.NormalizeUrl(PublicUrl) is null)
            errors.Add($"Core:PublicUrl \"{PublicUrl}\" must be an absolute http:// or https:// URL without quotes or spaces.");
        return errors;
    }
}

internal sealed class DownloadsOptionsValidator : IValidateOptions<DownloadsOptions>
{
    public ValidateOptionsResult Validate(string? name, DownloadsOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}

internal sealed class CorePublicOptionsValidator : IValidateOptions<CorePublicOptions>
{
    public ValidateOptionsResult Validate(string? name, CorePublicOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
