using System.Text.Json;
using SentinelX.Node.Connection;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Config;

/// <summary>
/// Merges settings from defaults, the JSON file, environment variables and flags, in that order
/// (each later source overrides the earlier ones), and reports every problem at once.
/// </summary>
internal static class NodeSettingsLoader
{
    public const string DefaultConfigPath = "/etc/sentinelx/node.json";
    public const int DefaultSampleIntervalMs = 1000;
    public const int MinSampleIntervalMs = 250;
    public const int MaxSampleIntervalMs = 60_000;
    public const string DefaultDockerSocket = "/var/run/docker.sock";

    /// <summary>Upper bound of the UDP session caps: each session is a socket (a file descriptor).</summary>
    public const int MaxUdpSessions = 65_536;

    /// <summary>
    /// Where file operations may reach when node.json names no <c>fileRoots</c>: logs to read, and
    /// the usual homes of served content and scratch files. Never <c>/</c>, nor anywhere a write
    /// becomes root's code or someone's login (<c>/etc</c>, <c>/root</c>, <c>/home</c>, <c>/opt</c>,
    /// <c>/usr</c>, <c>/proc</c>, <c>/sys</c>, <c>/dev</c>). The first is where browsing starts.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultFileRoots = ["/var/log", "/srv", "/var/www", "/tmp"];

    public const string Usage =
        "usage: sentinelx-node run --core URL --key KEY [--name NAME] [--data DIR] [--interval-ms N] [--config FILE]\n" +
        "                          [--allow exec,shell,files,docker,forward | --monitor-only]\n" +
        "                          [--docker-socket PATH] [--file-special-modes[=true|false]]\n" +
        "                          [--forward-targets-allow CIDR,...] [--forward-targets-deny CIDR,...] [--forward-privileged-ports]\n" +
        "  forward targets on loopback, link-local (169.254.0.0/16, fe80::/10), unspecified, multicast or broadcast\n" +
        "  addresses, this server's own addresses and the Core's are refused unless --forward-targets-allow lists them\n" +
        "  (e.g. 127.0.0.0/8,::1); --forward-targets-deny refuses more. Kernel-mode listen ports below 1024 need\n" +
        "  --forward-privileged-ports.\n" +
        "       sentinelx-node --version";

    /// <summary>Builds the settings for <c>run</c>; <paramref name="args"/> are the words after <c>run</c>.</summary>
    public static (NodeSettings? Settings, IReadOnlyList<string> Errors) Load(
        IReadOnlyList<string> args, Func<string, string?> env, NodeHost host)
    {
        var errors = new List<string>();
        var flags = ParseFlags(args, errors);

        // The file: --config must exist; the default path is optional.
        NodeFileConfig file = new();
        var configPath = flags.GetValueOrDefault("config");
        if (configPath is not null && !File.Exists(configPath))
            errors.Add($"config file {configPath} does not exist");
        else
        {
            var path = configPath ?? host.DefaultConfigPath;
            if (File.Exists(path)) file = ReadFile(path, errors) ?? file;
        }

        string? Pick(string flag, string envName, string? fromFile) =>
            flags.GetValueOrDefault(flag) ?? NullIfEmpty(env(envName)) ?? NullIfEmpty(fromFile);

        var core = Pick("core", "SENTINELX_NODE_CORE", file.Core);
        var key = Pick("key", "SENTINELX_NODE_KEY", file.Key);
        // Only a key that came from the file is removed from it once the Node has its own secret.
        var keyFile = key is not null && flags.GetValueOrDefault("key") is null && NullIfEmpty(env("SENTINELX_NODE_KEY")) is null
            ? Path.GetFullPath(configPath ?? host.DefaultConfigPath) : null;
        var name = Pick("name", "SENTINELX_NODE_NAME", file.Name);
        var dataDir = Pick("data", "SENTINELX_NODE_DATA", file.DataDir) ?? DefaultDataDir(host);
        var intervalText = flags.GetValueOrDefault("interval-ms");

        Uri? coreUri = null;
        if (core is null)
            errors.Add($"core URL is required (--core, SENTINELX_NODE_CORE or \"core\" in {configPath ?? host.DefaultConfigPath})");
        else if (!Uri.TryCreate(core, UriKind.Absolute, out coreUri) || coreUri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(coreUri.Host))
            errors.Add($"core URL \"{core}\" must be an absolute http:// or https:// URL");

        // Once enrolled, the Node authenticates with its own secret; the key is only for first contact.
        if (key is null && !File.Exists(Path.Combine(dataDir, NodeIdentity.FileName)))
            errors.Add($"enrollment key is required (--key, SENTINELX_NODE_KEY or \"key\" in {configPath ?? host.DefaultConfigPath})");

        if (ProtocolValidation.ValidateName(name) is { } nameError) errors.Add(nameError);

        var interval = file.SampleIntervalMs ?? DefaultSampleIntervalMs;
        if (intervalText is not null && !int.TryParse(intervalText, System.Globalization.NumberStyles.None, null, out interval))
            errors.Add($"--interval-ms \"{intervalText}\" is not a whole number of milliseconds");
        else if (interval is < MinSampleIntervalMs or > MaxSampleIntervalMs)
            errors.Add($"sample interval {interval} ms must be within {MinSampleIntervalMs} to {MaxSampleIntervalMs} ms");

        var allow = ParseAllow(flags, env("SENTINELX_NODE_ALLOW"), file.Allow, errors);
        var roots = ParseRoots(file.FileRoots, errors);
        var specialModes = ParseBool("file-special-modes", Pick("file-special-modes", "SENTINELX_NODE_FILE_SPECIAL_MODES", null), file.FileSpecialModes, errors);
        var dockerSocket = Pick("docker-socket", "SENTINELX_NODE_DOCKER_SOCKET", file.DockerSocket) ?? DefaultDockerSocket;
        if (!Path.IsPathFullyQualified(dockerSocket)) errors.Add($"Docker socket \"{dockerSocket}\" must be an absolute path");
        var udpSessions = ParseUdpSessions(env, file, errors);
        var forwardTargets = new ForwardTargetRules
        {
            Allow = ParseNetworks("forwardTargets.allow", PickList("forward-targets-allow", "SENTINELX_NODE_FORWARD_TARGETS_ALLOW", file.ForwardTargets?.Allow), errors),
            Deny = ParseNetworks("forwardTargets.deny", PickList("forward-targets-deny", "SENTINELX_NODE_FORWARD_TARGETS_DENY", file.ForwardTargets?.Deny), errors),
        };
        var privilegedPorts = file.ForwardPrivilegedPorts ?? false;
        if (flags.ContainsKey("forward-privileged-ports")) privilegedPorts = true;
        else if (NullIfEmpty(env("SENTINELX_NODE_FORWARD_PRIVILEGED_PORTS")) is { } privilegedText)
        {
            if (privilegedText.ToLowerInvariant() is "true" or "1" or "yes") privilegedPorts = true;
            else if (privilegedText.ToLowerInvariant() is "false" or "0" or "no") privilegedPorts = false;
            else errors.Add($"SENTINELX_NODE_FORWARD_PRIVILEGED_PORTS \"{Shorten(privilegedText)}\" must be true or false");
        }

        if (errors.Count > 0) return (null, errors);
        return (new NodeSettings
        {
            Core = coreUri!,
            Key = key,
            KeyFile = keyFile,
            Name = name,
            DataDir = Path.GetFullPath(dataDir),
            SampleIntervalMs = interval,
            Allow = allow,
            FileRoots = roots,
            FileSpecialModes = specialModes,
            DockerSocket = dockerSocket,
            UdpSessions = udpSessions,
            ForwardTargets = forwardTargets,
            ForwardPrivilegedPorts = privilegedPorts,
            ConfigPath = configPath ?? host.DefaultConfigPath,
        }, errors);

        IEnumerable<string>? PickList(string flag, string envName, IReadOnlyList<string>? fromFile) =>
            flags.TryGetValue(flag, out var fromFlag) ? SplitList(fromFlag)
            : NullIfEmpty(env(envName)) is { } fromEnv ? SplitList(fromEnv)
            : fromFile;
    }

    /// <summary>One line that lists every problem, for stderr.</summary>
    public static string FormatErrors(IReadOnlyList<string> errors) =>
        "sentinelx-node: invalid settings: " + string.Join("; ", errors);

    /// <summary>--monitor-only wins over everything; then --allow, SENTINELX_NODE_ALLOW, the file's "allow"; else none (monitor only).</summary>
    private static HashSet<string> ParseAllow(Dictionary<string, string> flags, string? env, IReadOnlyList<string>? fromFile, List<string> errors)
    {
        if (flags.ContainsKey("monitor-only"))
        {
            if (flags.ContainsKey("allow")) errors.Add("--monitor-only and --allow cannot be used together");
            return new HashSet<string>(StringComparer.Ordinal);
        }

        IEnumerable<string>? names = flags.TryGetValue("allow", out var flag) ? SplitList(flag)
            : NullIfEmpty(env) is { } fromEnv ? SplitList(fromEnv)
            : fromFile;
        if (names is null) return new HashSet<string>(StringComparer.Ordinal);

        var allow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var trimmed = name.Trim().ToLowerInvariant();
            if (trimmed is "none" or "") continue;
            if (Capabilities.IsKnown(trimmed)) allow.Add(trimmed);
            else errors.Add($"unknown capability \"{name}\" in allow (known: {string.Join(", ", Capabilities.All)}, or none)");
        }

        return allow;
    }

    /// <summary>
    /// UDP session caps of each forward rule: SENTINELX_NODE_UDP_MAX_SESSIONS[_PER_SOURCE], else the
    /// file's "udpMaxSessions" / "udpMaxSessionsPerSource", else 1024 and 256. A per-source cap above
    /// the rule's is the rule's.
    /// </summary>
    private static Forwarding.UdpSessionLimits ParseUdpSessions(Func<string, string?> env, NodeFileConfig file, List<string> errors)
    {
        var perRule = Cap("SENTINELX_NODE_UDP_MAX_SESSIONS", "udpMaxSessions", file.UdpMaxSessions, Forwarding.UdpSessionLimits.DefaultPerRule);
        var perSource = Cap("SENTINELX_NODE_UDP_MAX_SESSIONS_PER_SOURCE", "udpMaxSessionsPerSource", file.UdpMaxSessionsPerSource, Forwarding.UdpSessionLimits.DefaultPerSource);
        return new Forwarding.UdpSessionLimits(perRule, Math.Min(perSource, perRule));

        int Cap(string envName, string key, int? fromFile, int fallback)
        {
            int value;
            var source = key;
            if (NullIfEmpty(env(envName)) is { } text)
            {
                source = envName;
                if (!int.TryParse(text, System.Globalization.NumberStyles.None, null, out value))
                {
                    errors.Add($"{envName} \"{text}\" is not a whole number");
                    return fallback;
                }
            }
            else value = fromFile ?? fallback;

            if (value is < 1 or > MaxUdpSessions)
            {
                errors.Add($"{source} {value} must be within 1 to {MaxUdpSessions}");
                return fallback;
            }

            return value;
        }
    }


    /// <summary>Most entries a forward target list may hold; more is a mistake (or an attack on start-up time).</summary>
    public const int MaxTargetNetworks = 256;

    /// <summary>
    /// CIDRs (<c>10.0.0.0/8</c>, <c>fe80::/10</c>) or single addresses (<c>::1</c>). Host bits must be
    /// zero: "127.0.0.1/8" is refused rather than silently read as 127.0.0.0/8, the owner may have meant another thing.
    /// </summary>
    private static List<System.Net.IPNetwork> ParseNetworks(string key, IEnumerable<string>? entries, List<string> errors)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var raw in entries ?? [])
        {
            var entry = raw.Trim();
            if (networks.Count >= MaxTargetNetworks)
            {
                errors.Add($"{key} holds more than {MaxTargetNetworks} entries");
                break;
            }

            if (entry.Length is > 0 and <= 64 && !entry.Contains('/') && System.Net.IPAddress.TryParse(entry, out var single)
                && !entry.Contains('%'))
                networks.Add(new System.Net.IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else if (entry.Length is > 0 and <= 64 && entry.Contains('/') && System.Net.IPNetwork.TryParse(entry, out var network)
                && System.Net.IPAddress.TryParse(entry.AsSpan(0, entry.IndexOf('/')), out var written) && written.Equals(network.BaseAddress))
                networks.Add(network);
            else
                errors.Add($"{key} entry \"{Shorten(entry)}\" is not an IP address or a CIDR with its host bits zero (e.g. 127.0.0.0/8, ::1/128)");
        }

        return networks;
    }

    private static string[] SplitList(string list) => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static List<string> ParseRoots(IReadOnlyList<string>? fromFile, List<string> errors)
    {
        if (fromFile is null || fromFile.Count == 0) return [.. DefaultFileRoots];
        var roots = new List<string>();
        foreach (var root in fromFile)
        {
            if (!Path.IsPathFullyQualified(root)) errors.Add($"fileRoots entry \"{root}\" must be an absolute path");
            else roots.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) is { Length: > 0 } full ? full : "/");
        }

        return roots;
    }

    /// <summary>A yes/no setting from the flag or variable (<c>true</c>/<c>false</c>, <c>1</c>/<c>0</c>), else the file; off when none says.</summary>
    private static bool ParseBool(string name, string? text, bool? fromFile, List<string> errors)
    {
        if (text is null) return fromFile ?? false;
        switch (text.ToLowerInvariant())
        {
            case "true" or "1" or "yes":
                return true;
            case "false" or "0" or "no":
                return false;
            default:
                errors.Add($"{name} \"{text}\" must be true or false");
                return false;
        }
    }

    public static string DefaultDataDir(NodeHost host) =>
        host.IsRoot ? "/var/lib/sentinelx-node" : Path.Combine(host.Home, ".local", "share", "sentinelx-node");

    private static Dictionary<string, string> ParseFlags(IReadOnlyList<string> args, List<string> errors)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                errors.Add($"unexpected argument \"{arg}\"");
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (name is "monitor-only" or "forward-privileged-ports" && value is null)
            {
                flags[name] = "";
                continue;
            }

            if (name == "file-special-modes" && value is null)
            {
                flags[name] = "true";
                continue;
            }

            if (name is not ("core" or "key" or "name" or "data" or "interval-ms" or "config" or "allow" or "docker-socket" or "file-special-modes"
                or "forward-targets-allow" or "forward-targets-deny"))
            {
                errors.Add($"unknown option --{name}");
                // Its value (if it has one) belongs to it and is not a second problem.
                if (value is null && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) i++;
                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    errors.Add($"--{name} needs a value");
                    continue;
                }

                value = args[++i];
            }

            flags[name] = value;
        }

        return flags;
    }

    private static NodeFileConfig? ReadFile(string path, List<string> errors)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, NodeJsonContext.Default.NodeFileConfig);
        }
        catch (JsonException ex)
        {
            errors.Add($"config file {path} is not valid: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"config file {path} cannot be read: {ex.Message}");
        }

        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
