using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node.Config;
using Xunit;

namespace SentinelX.Tests.Node;

/// <summary>
/// The one table every setting comes from: each is reachable as a flag, an environment variable and
/// a key in node.toml, the three rank flag &gt; environment &gt; file &gt; default, and --help names them all.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class NodeSettingsTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sx-table-").FullName;

    /// <summary>Three different valid values per setting (for a switch, true/false/true), as a flag or variable would give them.</summary>
    private static readonly Dictionary<string, string[]> Samples = new()
    {
        ["core"] = ["http://flag:1", "http://env:2", "http://file:3"],
        ["key"] = ["key-flag", "key-env", "key-file"],
        ["name"] = ["flag-name", "env-name", "file-name"],
        ["dataDir"] = ["/tmp/flag-data", "/tmp/env-data", "/tmp/file-data"],
        ["allow"] = ["exec", "files,shell", "docker"],
        ["sampleIntervalMs"] = ["500", "2000", "3000"],
        ["outboxMaxBytes"] = ["2MiB", "3GiB", "512MiB"],
        ["outboxMaxAge"] = ["2h", "3d", "1d12h"],
        ["fileRoots"] = ["/srv/a", "/srv/b,/var/log", "/srv/c"],
        ["fileSpecialModes"] = ["true", "false", "true"],
        ["dockerSocket"] = ["/run/flag.sock", "/run/env.sock", "/run/file.sock"],
        ["forwardTargets.allow"] = ["127.0.0.0/8", "::1", "10.0.0.0/8,fe80::/10"],
        ["forwardTargets.deny"] = ["192.168.0.0/16", "172.16.0.0/12", "100.64.0.0/10"],
        ["forwardPrivilegedPorts"] = ["true", "false", "true"],
        ["udpMaxSessions"] = ["100", "200", "300"],
        ["udpMaxSessionsPerSource"] = ["10", "20", "30"],
        ["probes"] = ["false", "true", "false"],
    };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Toml => Path.Combine(_dir, "node.toml");

    private NodeSettingsResult Load(IReadOnlyDictionary<string, string> env, params string[] args) =>
        NodeSettingsLoader.Load(args, name => env.GetValueOrDefault(name), new NodeHost(Toml, IsRoot: false, Path.Combine(_dir, "home")));

    private static object Parsed(Setting setting, string text)
    {
        setting.TryParse(text, out var value, out var error).Should().BeTrue(error);
        return value!;
    }

    private void WriteFile(Setting setting, string text)
    {
        File.WriteAllText(Toml, TomlConfigEditor.Set("", setting, setting.ToToml(Parsed(setting, text))));
    }

    [Fact]
    public void The_table_names_every_setting_once_with_a_flag_a_variable_and_a_file_key()
    {
        Samples.Keys.Should().BeEquivalentTo(NodeSettingsTable.FileSettings.Select(s => s.Key), "every setting has samples below");
        NodeSettingsTable.All.Select(s => s.Flag).Should().OnlyHaveUniqueItems();
        NodeSettingsTable.All.Select(s => s.Env).Should().OnlyHaveUniqueItems().And.OnlyContain(e => e.StartsWith("SENTINELX_NODE_", StringComparison.Ordinal));
        NodeSettingsTable.FileSettings.Select(s => s.Key).Should().OnlyHaveUniqueItems();
        NodeSettingsTable.All.Where(s => s.Key is null).Should().Equal([NodeSettingsTable.Config], "only --config has no file key: the file cannot name itself");
    }

    [Fact]
    public void Every_setting_is_reachable_by_flag_by_environment_and_by_file()
    {
        foreach (var setting in NodeSettingsTable.FileSettings)
        {
            var sample = Samples[setting.Key!][0];
            var expected = setting.Show(Parsed(setting, sample));

            var byFlag = Load(new Dictionary<string, string>(), $"--{setting.Flag}={sample}").Values;
            byFlag.Should().ContainKey(setting, setting.Flag);
            setting.Show(byFlag[setting].Value).Should().Be(expected, $"--{setting.Flag}");
            byFlag[setting].Source.Origin.Should().Be(SettingOrigin.Flag);

            var byEnv = Load(new Dictionary<string, string> { [setting.Env] = sample }).Values;
            setting.Show(byEnv[setting].Value).Should().Be(expected, setting.Env);
            byEnv[setting].Source.Origin.Should().Be(SettingOrigin.Environment);

            WriteFile(setting, sample);
            var byFile = Load(new Dictionary<string, string>()).Values;
            byFile.Should().ContainKey(setting, File.ReadAllText(Toml));
            setting.Show(byFile[setting].Value).Should().Be(expected, setting.Key);
            byFile[setting].Source.Origin.Should().Be(SettingOrigin.File);
            byFile[setting].Source.Name.Should().Be($"{Toml}:{File.ReadAllLines(Toml).ToList().FindIndex(l => l.Contains(" = ", StringComparison.Ordinal)) + 1}: {setting.Key}");
            File.Delete(Toml);
        }
    }

    [Fact]
    public void A_flag_wins_over_the_environment_which_wins_over_the_file_which_wins_over_the_default()
    {
        foreach (var setting in NodeSettingsTable.FileSettings)
        {
            var (flag, env, file) = (Samples[setting.Key!][0], Samples[setting.Key!][1], Samples[setting.Key!][2]);
            WriteFile(setting, file);
            var variables = new Dictionary<string, string> { [setting.Env] = env };

            setting.Show(Load(variables, $"--{setting.Flag}={flag}").Values[setting].Value).Should().Be(setting.Show(Parsed(setting, flag)), $"--{setting.Flag} wins");
            setting.Show(Load(variables).Values[setting].Value).Should().Be(setting.Show(Parsed(setting, env)), $"{setting.Env} wins over the file");
            setting.Show(Load(new Dictionary<string, string>()).Values[setting].Value).Should().Be(setting.Show(Parsed(setting, file)), $"{setting.Key} in the file");
            File.Delete(Toml);
            Load(new Dictionary<string, string>()).Values.Should().NotContainKey(setting, "nothing gives it: the default applies");
        }
    }

    [Fact]
    public void Defaults_apply_when_nothing_gives_a_setting()
    {
        var settings = Load(new Dictionary<string, string>(), "--core", "http://a", "--key", "k").Settings!;
        settings.SampleIntervalMs.Should().Be(1000);
        settings.OutboxMaxBytes.Should().Be(100L << 20);
        settings.OutboxMaxAge.Should().Be(TimeSpan.FromDays(7));
        settings.Allow.Should().BeEmpty();
        settings.FileRoots.Should().Equal("/var/log", "/srv", "/var/www", "/tmp");
        settings.DockerSocket.Should().Be("/var/run/docker.sock");
        settings.Probes.Should().BeTrue("probing is monitoring, on unless the owner turns it off");
        (settings.UdpSessions.PerRule, settings.UdpSessions.PerSource).Should().Be((1024, 256));
        settings.ConfigPath.Should().Be(Toml);
    }

    [Fact]
    public void The_config_file_itself_comes_from_the_flag_or_the_environment()
    {
        var other = Path.Combine(_dir, "other.toml");
        File.WriteAllText(other, "name = \"from-other\"\n");
        Load(new Dictionary<string, string>(), "--config", other).Values[NodeSettingsTable.Name].Value.Should().Be("from-other");
        Load(new Dictionary<string, string> { ["SENTINELX_NODE_CONFIG"] = other }).Values[NodeSettingsTable.Name].Value.Should().Be("from-other");
        Load(new Dictionary<string, string> { ["SENTINELX_NODE_CONFIG"] = "/nonexistent/x.toml" }, "--config", other).Errors
            .Should().NotContain(e => e.Contains("nonexistent", StringComparison.Ordinal), "the flag wins over the variable");
    }

    [Fact]
    public void Help_lists_every_setting_with_its_flag_variable_file_key_and_default()
    {
        var help = NodeSettingsLoader.Usage;
        foreach (var setting in NodeSettingsTable.All)
        {
            help.Should().Contain($"--{setting.Flag}").And.Contain(setting.Env).And.Contain(setting.Help);
            if (setting.Key is not null) help.Should().Contain($"{setting.Key} in the file");
            if (setting.DefaultText is { } shown) help.Should().Contain($"(default: {shown})");
        }

        help.Should().Contain("--monitor-only").And.Contain("config convert").And.Contain("flag wins over the variable");
    }

    [Fact]
    public void The_node_config_doc_lists_every_setting_as_the_table_names_it()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SentinelX.sln"))) dir = dir.Parent;
        var doc = File.ReadAllText(Path.Combine(dir!.FullName, "docs", "node-config.md"));
        foreach (var setting in NodeSettingsTable.All)
        {
            var row = doc.Split('\n').FirstOrDefault(l => l.StartsWith('|') && l.Contains($"`--{setting.Flag}", StringComparison.Ordinal));
            row.Should().NotBeNull($"docs/node-config.md has a row for --{setting.Flag}");
            row.Should().Contain($"`{setting.Env}`");
            if (setting.Key is not null) row.Should().StartWith($"| `{setting.Key}` |");
        }
    }

    [Fact]
    public void The_help_of_the_real_program_is_the_table()
    {
        using var output = new StringWriter();
        var code = ConfigCommand.Run(["bogus"], _ => null, new NodeHost(Toml, false, _dir), output, output);
        code.Should().Be(2);
        output.ToString().Should().Contain("unknown config command \"bogus\"");
        NodeSettingsLoader.Usage.Should().Be(NodeSettingsTable.Usage());
    }

    [Theory]
    [InlineData("--interval-ms", "5", "--interval-ms: 5 must be within 250 to 60000 ms")]
    [InlineData("--interval-ms", "99999999999999999999", "--interval-ms: \"99999999999999999999\" is not a whole number")]
    [InlineData("--outbox-max-bytes", "10KiB", "--outbox-max-bytes: 10KiB must be within 1MiB to 64GiB")]
    [InlineData("--outbox-max-bytes", "lots", "--outbox-max-bytes: \"lots\" is not a size such as 100MiB or 2GiB (KiB, MiB, GiB, or a number of bytes)")]
    [InlineData("--outbox-max-age", "10m", "--outbox-max-age: 10m must be within 1h to 365d")]
    [InlineData("--outbox-max-age", "1y", "--outbox-max-age: \"1y\" is not a duration such as 90s, 30m, 12h or 7d")]
    [InlineData("--file-roots", "/srv,relative", "--file-roots: entry \"relative\" must be an absolute path")]
    [InlineData("--udp-max-sessions-per-source", "0", "--udp-max-sessions-per-source: 0 must be within 1 to 65536")]
    [InlineData("--docker-socket", "docker.sock", "--docker-socket: \"docker.sock\" must be an absolute path")]
    [InlineData("--name", "a\u0007b", "--name: \"a\\u0007b\" contains control characters")]
    public void A_hostile_flag_is_an_error_naming_the_flag(string flag, string value, string error)
    {
        var result = Load(new Dictionary<string, string>(), "--core", "http://a", "--key", "k", flag, value);
        result.Settings.Should().BeNull();
        result.Errors.Should().Equal(error);
    }

    [Fact]
    public void A_hostile_variable_is_an_error_naming_the_variable_even_when_a_flag_overrides_it()
    {
        var result = Load(new Dictionary<string, string> { ["SENTINELX_NODE_OUTBOX_MAX_AGE"] = "forever" }, "--core", "http://a", "--key", "k", "--outbox-max-age", "2d");
        result.Errors.Should().Equal("SENTINELX_NODE_OUTBOX_MAX_AGE: \"forever\" is not a duration such as 90s, 30m, 12h or 7d");
    }

    [Fact]
    public void Repeated_or_conflicting_flags_are_errors()
    {
        Load(new Dictionary<string, string>(), "--core", "http://a", "--key", "k", "--name", "a", "--name", "b").Errors
            .Should().Equal("--name is given twice");
        Load(new Dictionary<string, string>(), "--core", "http://a", "--key", "k", "--monitor-only", "--allow", "exec").Errors
            .Should().Equal("--monitor-only and --allow cannot be used together");
        Load(new Dictionary<string, string>(), "--core", "http://a", "--key", "k", "--monitor-only=yes").Errors
            .Should().Equal("--monitor-only takes no value");
    }
}
