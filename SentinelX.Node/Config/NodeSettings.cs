namespace SentinelX.Node.Config;

/// <summary>The settings the agent runs with, after flags, environment, file and defaults are merged.</summary>
internal sealed record NodeSettings
{
    public required Uri Core { get; init; }

    /// <summary>The enrollment key; only needed until the Node has an identity.</summary>
    public string? Key { get; init; }

    /// <summary>The config file the key was read from, which the Node rewrites without it once enrolled; null when the key came from a flag or the environment.</summary>
    public string? KeyFile { get; init; }

    public string? Name { get; init; }
    public required string DataDir { get; init; }
    public int SampleIntervalMs { get; init; } = NodeSettingsLoader.DefaultSampleIntervalMs;

    /// <summary>Outbox bound: oldest samples are dropped past this size…</summary>
    public long OutboxMaxBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>…or past this age.</summary>
    public TimeSpan OutboxMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The capabilities this server's owner allows (see <see cref="Shared.Protocol.Capabilities"/>).
    /// The Node refuses the others whatever the Core asks: a compromised Core cannot open this lock.
    /// Empty (monitor only) unless the owner lists some: closed by default.
    /// </summary>
    public IReadOnlySet<string> Allow { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Directories file operations may touch, as absolute paths; checked after symlinks are resolved.</summary>
    public IReadOnlyList<string> FileRoots { get; init; } = ["/"];

    /// <summary>The Docker Engine API socket (podman's compatible socket works too).</summary>
    public string DockerSocket { get; init; } = NodeSettingsLoader.DefaultDockerSocket;
}

/// <summary>The shape of <c>/etc/sentinelx/node.json</c> (camelCase, written by the install script).</summary>
internal sealed record NodeFileConfig
{
    public string? Core { get; init; }
    public string? Key { get; init; }
    public string? Name { get; init; }
    public string? DataDir { get; init; }
    public int? SampleIntervalMs { get; init; }

    /// <summary>Capabilities to allow, e.g. <c>["exec","files"]</c>; <c>[]</c> or absent is monitor-only.</summary>
    public IReadOnlyList<string>? Allow { get; init; }

    public IReadOnlyList<string>? FileRoots { get; init; }
    public string? DockerSocket { get; init; }
}

/// <summary>Facts about the machine the defaults depend on; tests pass their own.</summary>
internal sealed record NodeHost(string DefaultConfigPath, bool IsRoot, string Home)
{
    public static NodeHost Current() => new(
        NodeSettingsLoader.DefaultConfigPath,
        Native.IsRoot(),
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
}
