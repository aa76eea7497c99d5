namespace SentinelX.App;

/// <summary>
/// Where the Core's settings come from, lowest to highest priority: appsettings.json next to the
/// binary, appsettings.json in the working directory, <c>SENTINELX_*</c> environment variables
/// (<c>SENTINELX_Database__Provider=postgres</c>), then command-line flags.
/// </summary>
public static class CoreConfiguration
{
    public const string DefaultUrls = "http://0.0.0.0:5080";
    public const string DefaultDataDir = "./data";

    public static void Apply(IConfigurationBuilder configuration, IDictionary<string, string?>? overrides)
    {
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        var local = Path.Combine(Environment.CurrentDirectory, "appsettings.json");
        if (!string.Equals(Path.GetFullPath(local), Path.Combine(AppContext.BaseDirectory, "appsettings.json"), StringComparison.Ordinal))
            configuration.AddJsonFile(local, optional: true, reloadOnChange: false);
        configuration.AddEnvironmentVariables("SENTINELX_");
        if (overrides is not null) configuration.AddInMemoryCollection(overrides);
    }

    /// <summary>Settings for commands that work on the data directory without starting the web host.</summary>
    public static IConfigurationRoot Load()
    {
        var builder = new ConfigurationBuilder();
        Apply(builder, null);
        return builder.Build();
    }

    /// <summary>The data directory: the flag, else <c>DataDir</c> from settings, else ./data.</summary>
    public static string ResolveDataDir(string? flag, IConfiguration configuration) =>
        Path.GetFullPath(flag ?? configuration["DataDir"] ?? DefaultDataDir);
}
