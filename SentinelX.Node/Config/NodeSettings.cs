namespace SentinelX.Node.Config;

/// <summary>The settings the agent runs with, after flags, environment, file and defaults are merged.</summary>
internal sealed record NodeSettings
{
    public required Uri Core { get; init; }

    /// <summary>The enrollment key; only needed until the Node has an identity.</summary>
    public string? Key { get; init; }

    public string? Name { get; init; }
    public required string DataDir { get; init; }
    public int SampleIntervalMs { get; init; } = NodeSettingsLoader.DefaultSampleIntervalMs;

    /// <summary>Outbox bound: oldest samples are dropped past this size…</summary>
    public long OutboxMaxBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>…or past this age.</summary>
    public TimeSpan OutboxMaxAge { get; init; } = TimeSpan.FromDays(7);
}

/// <summary>The shape of <c>/etc/sentinelx/node.json</c> (camelCase, written by the install script).</summary>
internal sealed record NodeFileConfig
{
    public string? Core { get; init; }
    public string? Key { get; init; }
    public string? Name { get; init; }
    public string? DataDir { get; init; }
    public int? SampleIntervalMs { get; init; }
}

/// <summary>Facts about the machine the defaults depend on; tests pass their own.</summary>
internal sealed record NodeHost(string DefaultConfigPath, bool IsRoot, string Home)
{
    public static NodeHost Current() => new(
        NodeSettingsLoader.DefaultConfigPath,
        Native.IsRoot(),
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
}
