using System.Reflection;

namespace SentinelX.App;

/// <summary>Facts about this build.</summary>
public static class AppInfo
{
    /// <summary>The informational version without the source-revision suffix.</summary>
    public static string Version { get; } =
        (typeof(AppInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
