using System.Reflection;

namespace SentinelX.Node;

/// <summary>The agent's version as the build stamped it (without the source-revision suffix).</summary>
internal static class NodeVersion
{
    public static string Current { get; } = Read();

    private static string Read()
    {
        var version = typeof(NodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(NodeVersion).Assembly.GetName().Version?.ToString()
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
