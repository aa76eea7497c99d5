using System.Text;
using SentinelX.Node.Connection;

namespace SentinelX.Node.Config;

/// <summary>
/// <c>sentinelx-node config convert|set|get|check</c>: the install script and the server's owner
/// change node.toml through the same table and checks the Node runs with, never by hand-made text.
/// Exit codes: 0 done, 1 (get) the file does not set that key, 2 a problem, named on stderr.
/// </summary>
internal static class ConfigCommand
{
    public static int Run(IReadOnlyList<string> args, Func<string, string?> env, NodeHost host, TextWriter stdout, TextWriter stderr)
    {
        var verb = args.Count > 0 ? args[0] : "";
        var rest = args.Skip(1).ToList();
        return verb switch
        {
            "convert" => Convert(rest, host, stdout, stderr),
            "set" => Set(rest, host, stdout, stderr),
            "get" => Get(rest, host, stdout, stderr),
            "check" => Check(rest, env, host, stdout, stderr),
            _ => Fail(stderr, $"unknown config command \"{verb}\" (convert, set, get or check)"),
        };
    }

    /// <summary>
    /// node.json → node.toml beside it, every setting kept (checked by the same rules as <c>run</c>),
    /// then node.json → node.json.bak. A key in node.json moves to DATA/enrollment.key, never into
    /// node.toml. Interrupted between the two steps, both files exist and node.toml (complete) wins.
    /// </summary>
    private static int Convert(List<string> args, NodeHost host, TextWriter stdout, TextWriter stderr)
    {
        if (!TakeConfig(args, stderr, out var given) || !NoMore(args, stderr)) return 2;
        var source = given ?? Path.ChangeExtension(host.DefaultConfigPath, ".json");
        if (!ConfigFile.IsJson(source)) return Fail(stderr, $"{source} is not a node.json; config convert reads the older JSON format");
        var target = Path.ChangeExtension(source, ".toml");
        if (!File.Exists(source))
        {
            if (!File.Exists(target)) return Fail(stderr, $"{source} does not exist");
            stdout.WriteLine($"nothing to convert: {source} does not exist and {target} does");
            return 0;
        }

        if (File.Exists(target))
            return Fail(stderr, $"{target} already exists and is what the Node reads; move {source} aside instead of converting it");

        var errors = new List<string>();
        var values = ReadValues(source, errors);
        if (values is null) return Fail(stderr, errors);

        if (values.Remove(NodeSettingsTable.Key, out var key))
        {
            var dataDir = Path.GetFullPath(values.TryGetValue(NodeSettingsTable.DataDir, out var dir) ? (string)dir : NodeSettingsLoader.DefaultDataDir(host));
            if (File.Exists(Path.Combine(dataDir, NodeIdentity.FileName)))
                stdout.WriteLine($"dropping the enrollment key of {source}: this Node already has its own secret");
            else
            {
                Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var keyPath = Path.Combine(dataDir, NodeSettingsLoader.EnrollmentKeyFile);
                NodeFiles.WriteSecret(keyPath, Encoding.UTF8.GetBytes((string)key + "\n"));
                stdout.WriteLine($"moved the enrollment key to {keyPath} (mode 0600); node.toml never holds it");
            }
        }

        var text = TomlConfigEditor.Header;
        foreach (var setting in NodeSettingsTable.FileSettings)
        {
            if (values.TryGetValue(setting, out var value)) text = TomlConfigEditor.Set(text, setting, setting.ToToml(value));
        }

        if (ReadValues(target, errors, text) is null) return Fail(stderr, errors);
        NodeFiles.WriteSecret(target, Encoding.UTF8.GetBytes(text));
        File.Move(source, source + ".bak", overwrite: true);
        stdout.WriteLine($"converted {source} to {target} ({values.Count} settings); the old file is {source}.bak");
        return 0;
    }

    /// <summary>Sets the settings given as flags in node.toml (created when missing), keeping every other line.</summary>
    private static int Set(List<string> args, NodeHost host, TextWriter stdout, TextWriter stderr)
    {
        if (!TakeConfig(args, stderr, out var given)) return 2;
        var path = given ?? host.DefaultConfigPath;
        if (ConfigFile.IsJson(path)) return Fail(stderr, $"config set writes node.toml; run `sentinelx-node config convert --config {path}` first");

        var errors = new List<string>();
        var flags = NodeSettingsLoader.ParseFlags(args, errors);
        if (flags.Count == 0 && errors.Count == 0) errors.Add("name at least one setting to set, e.g. --allow exec,files");
        if (flags.ContainsKey(NodeSettingsTable.Key))
            errors.Add($"the enrollment key is never written into the config: give it to run as --key or {NodeSettingsTable.Key.Env}, or put it in DATA/{NodeSettingsLoader.EnrollmentKeyFile} (mode 0600)");

        var changes = new List<(Setting Setting, object Value)>();
        foreach (var (setting, (text, source)) in flags)
        {
            if (setting == NodeSettingsTable.Config || setting == NodeSettingsTable.Key) continue;
            if (setting.TryParse(text, out var value, out var error)) changes.Add((setting, value));
            else errors.Add($"{source}: {error}");
        }

        if (errors.Count > 0) return Fail(stderr, errors);

        var exists = File.Exists(path);
        var original = exists ? ConfigFile.ReadText(path, errors) : TomlConfigEditor.Header;
        if (original is null || (exists && ReadValues(path, errors, original) is null)) return Fail(stderr, errors);
        var updated = original;
        foreach (var (setting, value) in changes) updated = TomlConfigEditor.Set(updated, setting, setting.ToToml(value));
        if (ReadValues(path, errors, updated) is null) return Fail(stderr, errors);

        if (exists && updated == original)
        {
            stdout.WriteLine($"{path} already says so; unchanged");
            return 0;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        NodeFiles.WriteSecret(path, Encoding.UTF8.GetBytes(updated));
        stdout.WriteLine($"{(exists ? "updated" : "wrote")} {path}: " + string.Join(", ", changes.Select(c => $"{c.Setting.Key} = {c.Setting.ToToml(c.Value)}")));
        return 0;
    }

    /// <summary>Prints one setting as the file gives it (lists comma-separated, none for an empty one); exit 1 when the file does not set it.</summary>
    private static int Get(List<string> args, NodeHost host, TextWriter stdout, TextWriter stderr)
    {
        if (!TakeConfig(args, stderr, out var given)) return 2;
        if (args.Count != 1) return Fail(stderr, "config get takes one key, e.g. config get allow");
        if (NodeSettingsTable.ByKey(args[0]) is not { } setting)
            return Fail(stderr, $"unknown key {args[0]} (known keys: {string.Join(", ", NodeSettingsTable.FileSettings.Select(s => s.Key))})");

        var errors = new List<string>();
        var notes = new List<string>();
        var flags = given is null ? [] : new Dictionary<Setting, (string, string)> { [NodeSettingsTable.Config] = (given, "--config") };
        var path = NodeSettingsLoader.FindConfig(flags, _ => null, host, errors, notes);
        if (errors.Count > 0) return Fail(stderr, errors);
        if (path is null) return 1;
        var values = ReadValues(path, errors);
        if (values is null) return Fail(stderr, errors);
        if (!values.TryGetValue(setting, out var value)) return 1;
        stdout.WriteLine(setting.Show(value));
        return 0;
    }

    /// <summary>Checks everything <c>run</c> would read and prints each setting with where its value comes from.</summary>
    private static int Check(List<string> args, Func<string, string?> env, NodeHost host, TextWriter stdout, TextWriter stderr)
    {
        var result = NodeSettingsLoader.Load(args, env, host);
        foreach (var note in result.Notes) stderr.WriteLine($"sentinelx-node: {note}");
        if (result.Settings is null) return Fail(stderr, result.Errors);
        stdout.WriteLine($"# the settings sentinelx-node run would use (config file {result.Settings.ConfigPath})");
        foreach (var setting in NodeSettingsTable.FileSettings)
        {
            if (setting == NodeSettingsTable.Key)
            {
                stdout.WriteLine($"# key: {(result.Settings.Key is null ? "none (this Node has its own secret)" : "set, from " + (result.Values.TryGetValue(setting, out var k) ? k.Source.Name : result.Settings.KeyFile))}");
                continue;
            }

            if (result.Values.TryGetValue(setting, out var v)) stdout.WriteLine($"{setting.Key} = {setting.ToToml(v.Value)}  # {v.Source.Name}");
            else stdout.WriteLine($"# {setting.Key}: default{(setting.DefaultText is { } d ? " " + d : "")}");
        }

        return 0;
    }

    /// <summary>Each setting the file gives, checked by its kind; null with the problems when any is wrong.</summary>
    private static Dictionary<Setting, object>? ReadValues(string path, List<string> errors, string? text = null)
    {
        var entries = text is null ? ConfigFile.Read(path, errors) : ConfigFile.Parse(path, text, errors);
        if (entries is null) return null;
        var values = new Dictionary<Setting, object>();
        foreach (var entry in entries)
        {
            if (entry.Setting.TryRead(entry.Value, out var value, out var error)) values[entry.Setting] = value;
            else errors.Add($"{path}:{entry.Line}: {entry.Setting.Key}: {error}");
        }

        return errors.Count > 0 ? null : values;
    }

    private static bool TakeConfig(List<string> args, TextWriter stderr, out string? path)
    {
        path = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Count)
            {
                path = args[i + 1];
                args.RemoveRange(i, 2);
                return true;
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                path = args[i]["--config=".Length..];
                args.RemoveAt(i);
                return true;
            }

            if (args[i] == "--config")
            {
                Fail(stderr, "--config needs a value");
                return false;
            }
        }

        return true;
    }

    private static bool NoMore(List<string> args, TextWriter stderr)
    {
        if (args.Count == 0) return true;
        Fail(stderr, $"unexpected argument \"{args[0]}\"");
        return false;
    }

    private static int Fail(TextWriter stderr, string error) => Fail(stderr, [error]);

    private static int Fail(TextWriter stderr, IReadOnlyList<string> errors)
    {
        stderr.WriteLine("sentinelx-node: " + string.Join("; ", errors));
        return 2;
    }
}
