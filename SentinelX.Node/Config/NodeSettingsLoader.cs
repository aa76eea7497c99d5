using SentinelX.Node.Connection;

namespace SentinelX.Node.Config;

/// <summary>What <see cref="NodeSettingsLoader.Load"/> found: the settings (null when anything is wrong), every problem, and notes for the log.</summary>
internal sealed record NodeSettingsResult(
    NodeSettings? Settings,
    IReadOnlyList<string> Errors,
    IReadOnlyList<string> Notes,
    IReadOnlyDictionary<Setting, (object Value, SettingSource Source)> Values)
{
    public void Deconstruct(out NodeSettings? settings, out IReadOnlyList<string> errors)
    {
        settings = Settings;
        errors = Errors;
    }
}

/// <summary>
/// Merges each setting of <see cref="NodeSettingsTable"/> from its flag, its environment variable,
/// the config file and its default, in that order of precedence, and reports every problem at once:
/// each names the flag, the variable, or the file, line and key it came from. A bad value is an
/// error even where a source of higher precedence overrides it, so it cannot lie in wait.
/// </summary>
internal static class NodeSettingsLoader
{
    public const string DefaultConfigPath = NodeSettingsTable.DefaultConfigPath;
    public const int DefaultSampleIntervalMs = 1000;
    public const string DefaultDockerSocket = NodeSettingsTable.DefaultDockerSocket;
    public static IReadOnlyList<string> DefaultFileRoots => NodeSettingsTable.DefaultFileRoots;

    /// <summary>
    /// The enrollment key the install script leaves in the data directory (0600, in a 0700
    /// directory), so the key never enters the config; the Node deletes it once it has its own secret.
    /// </summary>
    public const string EnrollmentKeyFile = "enrollment.key";

    public static string Usage => NodeSettingsTable.Usage();

    /// <summary>Builds the settings for <c>run</c>; <paramref name="args"/> are the words after <c>run</c>.</summary>
    public static NodeSettingsResult Load(IReadOnlyList<string> args, Func<string, string?> env, NodeHost host)
    {
        var errors = new List<string>();
        var notes = new List<string>();
        var flags = ParseFlags(args, errors);
        var before = errors.Count;
        var configPath = FindConfig(flags, env, host, errors, notes);
        var read = configPath is null ? [] : ConfigFile.Read(configPath, errors);
        // A file that is missing or cannot be read may well hold the core and the key: no second error claims they are missing.
        var unreadable = read is null || (configPath is null && errors.Count > before);
        var file = read ?? [];
        var shownConfig = configPath ?? host.DefaultConfigPath;
        var values = Merge(flags, env, file, shownConfig, errors);

        T? Find<T>(Setting<T> setting) where T : notnull => values.TryGetValue(setting, out var v) ? (T)v.Value : default;
        T Get<T>(Setting<T> setting) where T : notnull => values.TryGetValue(setting, out var v) ? (T)v.Value : setting.Default!;

        var core = Find(NodeSettingsTable.Core);
        var coreGiven = flags.ContainsKey(NodeSettingsTable.Core) || NullIfEmpty(env(NodeSettingsTable.Core.Env)) is not null
            || file.Any(e => e.Setting == NodeSettingsTable.Core);
        if (!coreGiven && !unreadable)
            errors.Add($"core URL is required (--core, {NodeSettingsTable.Core.Env} or core in {shownConfig})");

        var dataDir = Path.GetFullPath(Find(NodeSettingsTable.DataDir) ?? DefaultDataDir(host));
        var key = Find(NodeSettingsTable.Key);
        string? keyFile = null;
        var keyUnreadable = false;
        if (key is not null)
        {
            // Only a key that came from the file is removed from it once the Node has its own secret.
            if (values[NodeSettingsTable.Key].Source.Origin == SettingOrigin.File) keyFile = Path.GetFullPath(configPath!);
        }
        else if (ReadEnrollmentKey(dataDir, errors, out keyUnreadable) is { } enrollment)
        {
            key = enrollment;
            keyFile = Path.Combine(dataDir, EnrollmentKeyFile);
        }

        // Once enrolled, the Node authenticates with its own secret; the key is only for first contact.
        if (key is null && !unreadable && !keyUnreadable && !File.Exists(Path.Combine(dataDir, NodeIdentity.FileName)))
            errors.Add($"enrollment key is required (--key, {NodeSettingsTable.Key.Env}, or DATA/{EnrollmentKeyFile} as the install script writes it)");

        var perRule = Get(NodeSettingsTable.UdpMaxSessions);
        if (errors.Count > 0) return new NodeSettingsResult(null, errors, notes, values);
        return new NodeSettingsResult(new NodeSettings
        {
            Core = core!,
            Key = key,
            KeyFile = keyFile,
            Name = Find(NodeSettingsTable.Name),
            DataDir = dataDir,
            SampleIntervalMs = Get(NodeSettingsTable.SampleIntervalMs),
            OutboxMaxBytes = Get(NodeSettingsTable.OutboxMaxBytes),
            OutboxMaxAge = Get(NodeSettingsTable.OutboxMaxAge),
            Allow = new HashSet<string>(Get(NodeSettingsTable.Allow), StringComparer.Ordinal),
            FileRoots = Get(NodeSettingsTable.FileRoots) is { Count: > 0 } roots ? roots : NodeSettingsTable.DefaultFileRoots,
            FileSpecialModes = Get(NodeSettingsTable.FileSpecialModes),
            DockerSocket = Get(NodeSettingsTable.DockerSocket),
            // A per-source cap above the rule's is the rule's.
            UdpSessions = new Forwarding.UdpSessionLimits(perRule, Math.Min(Get(NodeSettingsTable.UdpMaxSessionsPerSource), perRule)),
            ForwardTargets = new ForwardTargetRules
            {
                Allow = Get(NodeSettingsTable.ForwardTargetsAllow),
                Deny = Get(NodeSettingsTable.ForwardTargetsDeny),
            },
            ForwardPrivilegedPorts = Get(NodeSettingsTable.ForwardPrivilegedPorts),
            Probes = Get(NodeSettingsTable.Probes),
            ConfigPath = shownConfig,
        }, errors, notes, values);
    }

    /// <summary>One line that lists every problem, for stderr.</summary>
    public static string FormatErrors(IReadOnlyList<string> errors) =>
        "sentinelx-node: invalid settings: " + string.Join("; ", errors);

    public static string DefaultDataDir(NodeHost host) =>
        host.IsRoot ? "/var/lib/sentinelx-node" : Path.Combine(host.Home, ".local", "share", "sentinelx-node");

    /// <summary>
    /// The config file to read: <c>--config</c> (or SENTINELX_NODE_CONFIG), which must exist; else
    /// node.toml, else an older node.json beside it. When both exist node.toml wins and the log says
    /// node.json is ignored: a half-finished conversion leaves both, and node.toml is the newer one.
    /// </summary>
    public static string? FindConfig(IReadOnlyDictionary<Setting, (string Text, string Source)> flags, Func<string, string?> env, NodeHost host,
        List<string> errors, List<string> notes)
    {
        var given = flags.TryGetValue(NodeSettingsTable.Config, out var flag) ? flag.Text : NullIfEmpty(env(NodeSettingsTable.Config.Env));
        if (given is not null)
        {
            if (File.Exists(given)) return given;
            if (Directory.Exists(given))
            {
                errors.Add($"config file {given} is a directory");
                return null;
            }

            // A unit or script written before the conversion still names node.json; the converted file is beside it.
            var converted = Path.ChangeExtension(given, ".toml");
            if (ConfigFile.IsJson(given) && File.Exists(converted))
            {
                notes.Add($"{given} was converted to {converted}; reading that (point --config at it)");
                return converted;
            }

            errors.Add($"config file {given} does not exist");
            return null;
        }

        var toml = host.DefaultConfigPath;
        var json = Path.ChangeExtension(toml, ".json");
        if (File.Exists(toml))
        {
            if (json != toml && File.Exists(json))
                notes.Add($"both {toml} and {json} exist; reading {toml} and ignoring {json} (move it aside)");
            return toml;
        }

        if (File.Exists(json))
        {
            notes.Add($"reading {json}, the older format; `sentinelx-node config convert` turns it into {toml}");
            return json;
        }

        return null;
    }

    /// <summary>
    /// Every setting's value from the highest source that gives one. Values from every source are
    /// checked, so a bad line in the file is reported even while a flag overrides it.
    /// </summary>
    public static Dictionary<Setting, (object Value, SettingSource Source)> Merge(IReadOnlyDictionary<Setting, (string Text, string Source)> flags,
        Func<string, string?> env, IReadOnlyList<ConfigFile.Entry> file, string filePath, List<string> errors)
    {
        var values = new Dictionary<Setting, (object, SettingSource)>();
        foreach (var setting in NodeSettingsTable.FileSettings)
        {
            var candidates = new List<(SettingSource Source, object? Value, bool Ok)>();
            if (flags.TryGetValue(setting, out var flag))
            {
                var ok = setting.TryParse(flag.Text, out var value, out var error);
                if (!ok) errors.Add($"{flag.Source}: {error}");
                candidates.Add((new SettingSource(SettingOrigin.Flag, flag.Source), value, ok));
            }

            if (NullIfEmpty(env(setting.Env)) is { } text)
            {
                var ok = setting.TryParse(text, out var value, out var error);
                if (!ok) errors.Add($"{setting.Env}: {error}");
                candidates.Add((new SettingSource(SettingOrigin.Environment, setting.Env), value, ok));
            }

            if (file.FirstOrDefault(e => e.Setting == setting) is { } entry)
            {
                var ok = setting.TryRead(entry.Value, out var value, out var error);
                var source = $"{filePath}:{entry.Line}: {setting.Key}";
                if (!ok) errors.Add($"{source}: {error}");
                candidates.Add((new SettingSource(SettingOrigin.File, source), value, ok));
            }

            if (candidates.FirstOrDefault(c => c.Ok) is { Value: { } chosen } best) values[setting] = (chosen, best.Source);
        }

        return values;
    }

    /// <summary>Flags by setting, with the words that gave each (for errors); unknown, repeated and valueless flags are errors.</summary>
    public static Dictionary<Setting, (string Text, string Source)> ParseFlags(IReadOnlyList<string> args, List<string> errors)
    {
        var flags = new Dictionary<Setting, (string, string)>();
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
            if (name.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            var setting = NodeSettingsTable.All.FirstOrDefault(s => s.Flag == name);
            var alias = NodeSettingsTable.All.FirstOrDefault(s => s.Aliases.ContainsKey(name));
            if (setting is null && alias is null)
            {
                errors.Add($"unknown option --{name}");
                // Its value (if it has one) belongs to it and is not a second problem.
                if (value is null && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) i++;
                continue;
            }

            if (alias is not null)
            {
                if (value is not null) errors.Add($"--{name} takes no value");
                setting = alias;
                value = alias.Aliases[name];
            }
            else if (value is null && setting!.IsSwitch) value = "true";
            else if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    errors.Add($"--{name} needs a value");
                    continue;
                }

                value = args[++i];
            }

            if (flags.TryGetValue(setting!, out var earlier))
            {
                errors.Add(earlier.Item2 == "--" + name ? $"--{name} is given twice" : $"{earlier.Item2} and --{name} cannot be used together");
                continue;
            }

            flags[setting!] = (value!, "--" + name);
        }

        return flags;
    }

    private static string? ReadEnrollmentKey(string dataDir, List<string> errors, out bool unreadable)
    {
        var before = errors.Count;
        var key = ReadEnrollmentKey(dataDir, errors);
        unreadable = errors.Count > before;
        return key;
    }

    private static string? ReadEnrollmentKey(string dataDir, List<string> errors)
    {
        var path = Path.Combine(dataDir, EnrollmentKeyFile);
        if (!File.Exists(path)) return null;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > 4096)
            {
                errors.Add($"{path} is larger than 4 KiB; it should hold the enrollment key alone");
                return null;
            }

            var text = File.ReadAllText(path).Trim();
            if (text.Length == 0) return null;
            if (NodeSettingsTable.Key.Kind.TryParse(text, out var key, out var error)) return key;
            errors.Add($"{path}: {error}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{path} cannot be read: {ex.Message}");
        }

        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
