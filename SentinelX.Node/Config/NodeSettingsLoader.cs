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

    public const string Usage =
        "usage: sentinelx-node run --core URL --key KEY [--name NAME] [--data DIR] [--interval-ms N] [--config FILE]\n" +
        "                          [--allow exec,shell,files,docker,forward | --monitor-only]\n" +
        "                          [--docker-socket PATH]\n" +
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
        var dockerSocket = Pick("docker-socket", "SENTINELX_NODE_DOCKER_SOCKET", file.DockerSocket) ?? DefaultDockerSocket;
        if (!Path.IsPathFullyQualified(dockerSocket)) errors.Add($"Docker socket \"{dockerSocket}\" must be an absolute path");

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
            DockerSocket = dockerSocket,
        }, errors);
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

        IEnumerable<string>? names = flags.TryGetValue("allow", out var flag) ? Split(flag)
            : NullIfEmpty(env) is { } fromEnv ? Split(fromEnv)
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

        static string[] Split(string list) => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    private static List<string> ParseRoots(IReadOnlyList<string>? fromFile, List<string> errors)
    {
        if (fromFile is null || fromFile.Count == 0) return ["/"];
        var roots = new List<string>();
        foreach (var root in fromFile)
        {
            if (!Path.IsPathFullyQualified(root)) errors.Add($"fileRoots entry \"{root}\" must be an absolute path");
            else roots.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) is { Length: > 0 } full ? full : "/");
        }

        return roots;
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

            if (name == "monitor-only" && value is null)
            {
                flags[name] = "";
                continue;
            }

            if (name is not ("core" or "key" or "name" or "data" or "interval-ms" or "config" or "allow" or "docker-socket"))
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
