namespace SentinelX.Node.Config;

/// <summary>The settings the agent runs with, after flags, environment, file and defaults are merged.</summary>
internal sealed record NodeSettings
{
    public required Uri Core { get; init; }

    /// <summary>The enrollment key; only needed until the Node has an identity.</summary>
    public string? Key { get; init; }

    /// <summary>
    /// The file the key was read from: the config file, which the Node rewrites without it once
    /// enrolled, or DATA/enrollment.key, which it deletes; null when the key came from a flag or the environment.
    /// </summary>
    public string? KeyFile { get; init; }

    public string? Name { get; init; }
    public required string DataDir { get; init; }
    public int SampleIntervalMs { get; init; } = NodeSettingsLoader.DefaultSampleIntervalMs;

    /// <summary>Outbox bound: oldest samples are dropped past this size…</summary>
    public long OutboxMaxBytes { get; init; } = NodeSettingsTable.OutboxMaxBytes.Default;

    /// <summary>…or past this age.</summary>
    public TimeSpan OutboxMaxAge { get; init; } = NodeSettingsTable.OutboxMaxAge.Default;

    /// <summary>
    /// The capabilities this server's owner allows (see <see cref="Shared.Protocol.Capabilities"/>).
    /// The Node refuses the others whatever the Core asks: a compromised Core cannot open this lock.
    /// Empty (monitor only) unless the owner lists some: closed by default.
    /// </summary>
    public IReadOnlySet<string> Allow { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Directories file operations may touch, as absolute paths; nothing beneath them is reached through a symlink.</summary>
    public IReadOnlyList<string> FileRoots { get; init; } = NodeSettingsLoader.DefaultFileRoots;

    /// <summary>Whether chmod may set setuid, setgid or sticky bits (and uploads keep them); off unless the owner says so.</summary>
    public bool FileSpecialModes { get; init; }

    /// <summary>The Docker Engine API socket (podman's compatible socket works too).</summary>
    public string DockerSocket { get; init; } = NodeSettingsLoader.DefaultDockerSocket;

    /// <summary>Caps on the UDP sessions of each forward rule, per rule and per client address.</summary>
    public Forwarding.UdpSessionLimits UdpSessions { get; init; } = Forwarding.UdpSessionLimits.Default;

    /// <summary>Which forward targets this server's owner allows beyond the default (see <see cref="Forwarding.Targets.ForwardTargetPolicy"/>).</summary>
    public ForwardTargetRules ForwardTargets { get; init; } = new();

    /// <summary>Whether kernel-mode forwards may listen on ports below 1024 (off: they belong to system services).</summary>
    public bool ForwardPrivilegedPorts { get; init; }

    /// <summary>Whether the Node runs the service probes the Core sends (on unless the owner turns it off).</summary>
    public bool Probes { get; init; } = true;

    /// <summary>The config file the owner edits, named in refusals that the owner can lift there.</summary>
    public string ConfigPath { get; init; } = NodeSettingsLoader.DefaultConfigPath;
}

/// <summary>
/// CIDR lists that widen or narrow the forward target policy: <see cref="Allow"/> lets through
/// addresses the Node refuses by default (loopback, link-local, its own and the Core's),
/// <see cref="Deny"/> refuses more; deny wins where both match.
/// </summary>
internal sealed record ForwardTargetRules
{
    public IReadOnlyList<System.Net.IPNetwork> Allow { get; init; } = [];
    public IReadOnlyList<System.Net.IPNetwork> Deny { get; init; } = [];
}

/// <summary>Facts about the machine the defaults depend on; tests pass their own.</summary>
internal sealed record NodeHost(string DefaultConfigPath, bool IsRoot, string Home)
{
    public static NodeHost Current() => new(
        NodeSettingsLoader.DefaultConfigPath,
        Native.IsRoot(),
        Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
}
