using System.Net;
using System.Text;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Config;

/// <summary>
/// Every setting of the Node, once: its key in node.toml, its flag, its environment variable, how
/// its value is read and what --help says. The loader, <c>config set</c>, <c>config get</c>, the
/// node.json conversion and --help all walk this table, so a setting added here is reachable all
/// three ways and documented at once.
/// </summary>
internal static class NodeSettingsTable
{
    public const string DefaultConfigPath = "/etc/sentinelx/node.toml";
    public const int MinSampleIntervalMs = 250;
    public const int MaxSampleIntervalMs = 60_000;
    public const string DefaultDockerSocket = "/var/run/docker.sock";

    /// <summary>Upper bound of the UDP session caps: each session is a socket (a file descriptor).</summary>
    public const int MaxUdpSessions = 65_536;

    /// <summary>Most entries a forward target list may hold; more is a mistake (or an attack on start-up time).</summary>
    public const int MaxTargetNetworks = 256;

    /// <summary>
    /// Where file operations may reach when the config names no <c>fileRoots</c>: logs to read, and
    /// the usual homes of served content and scratch files. Never <c>/</c>, nor anywhere a write
    /// becomes root's code or someone's login (<c>/etc</c>, <c>/root</c>, <c>/home</c>, <c>/opt</c>,
    /// <c>/usr</c>, <c>/proc</c>, <c>/sys</c>, <c>/dev</c>). The first is where browsing starts.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultFileRoots = ["/var/log", "/srv", "/var/www", "/tmp"];

    private static readonly TextKind<string> PlainText = new("TEXT", t => (t, null), t => t);

    public static readonly Setting<string> Config = new(null, "config",
        new TextKind<string>("FILE", t => (t, null), t => t),
        "the config file; node.toml is read when it exists, else an older node.json beside it", defaultText: DefaultConfigPath);

    public static readonly Setting<Uri> Core = new("core", "core",
        new TextKind<Uri>("URL", SettingValues.HttpUrl, u => u.OriginalString),
        "the SentinelX Core this Node reports to (http:// or https://); required");

    public static readonly Setting<string> Key = new("key", "key", PlainText,
        "the fleet enrollment key, needed only until the Node has its own secret; the install script keeps it in DATA/enrollment.key, never in the config");

    public static readonly Setting<string> Name = new("name", "name",
        new TextKind<string>("NAME", t => ProtocolValidation.ValidateName(t) is { } e ? (null, e) : (t, null), t => t),
        "the name the Core shows (default: the Core uses the host name)");

    public static readonly Setting<string> DataDir = new("dataDir", "data",
        new TextKind<string>("DIR", t => (Path.GetFullPath(t), null), t => t),
        "where the Node keeps its identity, outbox and forward state", defaultText: "/var/lib/sentinelx-node as root, else ~/.local/share/sentinelx-node");

    public static readonly Setting<int> SampleIntervalMs = new("sampleIntervalMs", "interval-ms",
        new WholeKind(MinSampleIntervalMs, MaxSampleIntervalMs, " ms"), "milliseconds between metric samples", 1000);

    public static readonly Setting<long> OutboxMaxBytes = new("outboxMaxBytes", "outbox-max-bytes",
        new SizeKind(1L << 20, 64L << 30), "unsent samples kept while the Core is unreachable, at most this much disk (oldest dropped first)", 100L << 20);

    public static readonly Setting<TimeSpan> OutboxMaxAge = new("outboxMaxAge", "outbox-max-age",
        new DurationKind(TimeSpan.FromHours(1), TimeSpan.FromDays(365)), "…and samples no older than this", TimeSpan.FromDays(7));

    public static readonly Setting<IReadOnlyList<string>> Allow = new("allow", "allow",
        new ListKind<string>("LIST", 16, SettingValues.Capability, c => c, entries => entries.Where(e => !e.Equals("none", StringComparison.OrdinalIgnoreCase))),
        "what the Core may ever do here besides monitoring, of exec, shell, files, docker, forward; none (or --monitor-only) is monitoring only",
        [], "none")
    {
        Aliases = new Dictionary<string, string> { ["monitor-only"] = "none" },
    };

    public static readonly Setting<IReadOnlyList<string>> FileRoots = new("fileRoots", "file-roots",
        new ListKind<string>("DIRS", 64, SettingValues.Root, r => r),
        "the directories file operations may reach (nothing beneath them through a symlink); the first is where browsing starts",
        DefaultFileRoots);

    public static readonly Setting<bool> FileSpecialModes = new("fileSpecialModes", "file-special-modes", new SwitchKind(),
        "whether chmod may set setuid, setgid or sticky bits (and uploads keep them)", false);

    public static readonly Setting<string> DockerSocket = new("dockerSocket", "docker-socket",
        new TextKind<string>("PATH", SettingValues.AbsolutePath, t => t),
        "the Docker Engine API socket (podman's compatible socket works too)", DefaultDockerSocket);

    public static readonly Setting<int> UdpMaxSessions = new("udpMaxSessions", "udp-max-sessions",
        new WholeKind(1, MaxUdpSessions), "UDP sessions a forward rule may hold at once", Forwarding.UdpSessionLimits.DefaultPerRule);

    public static readonly Setting<int> UdpMaxSessionsPerSource = new("udpMaxSessionsPerSource", "udp-max-sessions-per-source",
        new WholeKind(1, MaxUdpSessions), "…of which one client address may hold (at most the rule's cap)", Forwarding.UdpSessionLimits.DefaultPerSource);

    public static readonly Setting<IReadOnlyList<IPNetwork>> ForwardTargetsAllow = new("forwardTargets.allow", "forward-targets-allow",
        new ListKind<IPNetwork>("CIDRS", MaxTargetNetworks, SettingValues.Network, SettingValues.ShowNetwork),
        "forward targets allowed although refused by default: loopback, link-local (169.254.0.0/16, fe80::/10), unspecified, " +
        "multicast or broadcast addresses, this server's own addresses and the Core's (e.g. 127.0.0.0/8,::1)", [], "none");

    public static readonly Setting<IReadOnlyList<IPNetwork>> ForwardTargetsDeny = new("forwardTargets.deny", "forward-targets-deny",
        new ListKind<IPNetwork>("CIDRS", MaxTargetNetworks, SettingValues.Network, SettingValues.ShowNetwork),
        "more forward targets to refuse; deny wins where both lists match", [], "none");

    public static readonly Setting<bool> ForwardPrivilegedPorts = new("forwardPrivilegedPorts", "forward-privileged-ports", new SwitchKind(),
        "whether kernel-mode forwards may listen on ports below 1024, where system services live", false);

    public static readonly Setting<bool> Probes = new("probes", "probes", new SwitchKind(),
        "whether the Node runs the service probes (ping, TCP, HTTP, DNS checks) the Core sends; --no-probes turns them off", true)
    {
        Aliases = new Dictionary<string, string> { ["no-probes"] = "false" },
    };

    /// <summary>The table, in the order --help and a written node.toml list it.</summary>
    public static readonly IReadOnlyList<Setting> All =
    [
        Config, Core, Key, Name, DataDir, Allow, SampleIntervalMs, OutboxMaxBytes, OutboxMaxAge, FileRoots, FileSpecialModes,
        DockerSocket, ForwardTargetsAllow, ForwardTargetsDeny, ForwardPrivilegedPorts, UdpMaxSessions, UdpMaxSessionsPerSource, Probes,
    ];

    /// <summary>The settings a config file may hold: all but <c>--config</c> itself.</summary>
    public static IEnumerable<Setting> FileSettings => All.Where(s => s.Key is not null);

    public static Setting? ByKey(string key) => FileSettings.FirstOrDefault(s => s.Key == key);

    public static Setting? ByKeyIgnoringCase(string key) => FileSettings.FirstOrDefault(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>The text of <c>sentinelx-node --help</c>, built from the table.</summary>
    public static string Usage()
    {
        var text = new StringBuilder();
        text.AppendLine("usage: sentinelx-node run [--SETTING VALUE]...");
        text.AppendLine("       sentinelx-node config convert [--config node.json]   turn node.json into node.toml (node.json is kept as node.json.bak)");
        text.AppendLine("       sentinelx-node config set [--config FILE] --SETTING VALUE...   change node.toml, keeping its other lines");
        text.AppendLine("       sentinelx-node config get [--config FILE] KEY     print one setting of the file");
        text.AppendLine("       sentinelx-node config check [--config FILE]       check the file and print the settings the Node would run with");
        text.AppendLine("       sentinelx-node --version");
        text.AppendLine();
        text.AppendLine($"Every setting is a flag, an environment variable and a key in {DefaultConfigPath};");
        text.AppendLine("a flag wins over the variable, the variable over the file, the file over the default.");
        text.AppendLine("Lists are comma-separated in flags and variables, arrays of strings in the file.");
        text.AppendLine();
        foreach (var setting in All)
        {
            var flag = setting.IsSwitch ? $"--{setting.Flag}[=true|false]" : $"--{setting.Flag} {setting.Placeholder}";
            foreach (var alias in setting.Aliases.Keys) flag += $" | --{alias}";
            text.AppendLine($"  {flag}");
            text.AppendLine($"      {setting.Env}" + (setting.Key is null ? "" : $", {setting.Key} in the file"));
            text.Append($"      {setting.Help}");
            text.AppendLine(setting.DefaultText is { } shown ? $" (default: {shown})" : "");
        }

        return text.ToString().TrimEnd();
    }
}
