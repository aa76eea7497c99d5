using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node.Config;
using Xunit;

namespace SentinelX.Tests.Node;

/// <summary>
/// node.toml as the owner writes it, hostile files, the older node.json an existing install has, and
/// <c>sentinelx-node config convert|set|get</c>, through which the install script changes the file.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class NodeConfigFileTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _dir = Directory.CreateTempSubdirectory("sx-toml-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Toml => Path.Combine(_dir, "node.toml");
    private string Json => Path.Combine(_dir, "node.json");
    private string Data => Path.Combine(_dir, "data");
    private NodeHost Host => new(Toml, IsRoot: false, Path.Combine(_dir, "home"));

    private NodeSettingsResult Load(params string[] args) =>
        NodeSettingsLoader.Load(["--key", "k", .. args], _ => null, Host);

    private (int Code, string Stdout, string Stderr) Config(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = ConfigCommand.Run(args, _ => null, Host, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("core = \"http://a\"\nsampleIntervalMs = 5\n", ":2: sampleIntervalMs: 5 must be within 250 to 60000 ms")]
    [InlineData("core = \"http://a\"\nsampleIntervalMs = 99999999999999999999\n", ":2:20: Unable to parse integer `99999999999999999999`")]
    [InlineData("core = \"http://a\"\nsampleIntervalMs = \"1000\"\n", ":2: sampleIntervalMs: must be a whole number, not a string")]
    [InlineData("core = \"http://a\"\nname = [\"a\", \"b\"]\n", ":2: name: must be a string, not an array")]
    [InlineData("core = \"http://a\"\nallow = \"exec\"\n", ":2: allow: must be an array of strings, not a string")]
    [InlineData("core = \"http://a\"\nallow = [\"exec\", 1]\n", ":2: allow: entry 2 must be a string, not a whole number")]
    [InlineData("core = \"http://a\"\nallow = [\"root\"]\n", ":2: allow: unknown capability \"root\" (known: exec, shell, files, docker, forward, or none)")]
    [InlineData("core = \"http://a\"\nfileSpecialModes = 1\n", ":2: fileSpecialModes: must be true or false, not a whole number")]
    [InlineData("core = \"http://a\"\noutboxMaxAge = 7\n", ":2: outboxMaxAge: must be a duration string such as \"7d\", not a whole number")]
    [InlineData("core = \"http://a\"\ncore = \"http://b\"\n", ":2: The key `core` is already defined at (1,1) with `core = \"http://a\"` and cannot be redefined")]
    [InlineData("core = \"http://a\"\nsampleInterval = 500\n", ":2: unknown key sampleInterval (did you mean sampleIntervalMs?)")]
    [InlineData("core = \"http://a\"\nCore = \"http://b\"\n", ":2: unknown key Core (did you mean core?)")]
    [InlineData("core = \"http://a\"\n[forwardTargets]\nallow = [\"127.0.0.1/8\"]\n",
        ":3: forwardTargets.allow: entry \"127.0.0.1/8\" is not an IP address or a CIDR with its host bits zero (e.g. 127.0.0.0/8, ::1/128)")]
    [InlineData("core = \"http://a\"\n[forwardTargets]\nallowed = []\n", ":3: unknown key forwardTargets.allowed")]
    [InlineData("core = \"http://a\"\nforwardTargets = [\"10.0.0.0/8\"]\n", ":2: forwardTargets must be a table (allow, deny), not an array")]
    [InlineData("core = \"http://a\"\nname = \"web\" \"1\"\n", ":2:14: ")]
    [InlineData("core = \"http://a\"\nname = \"a\\u0000b\"\n", ":2: name: \"a\\u0000b\" contains control characters")]
    [InlineData("core = \"http://a\"\nkey = \"\"\n", ":2: key: is empty; leave it out to use the default")]
    public void A_hostile_value_in_node_toml_is_an_error_naming_file_line_and_key(string toml, string error)
    {
        File.WriteAllText(Toml, toml);
        var result = Load();
        result.Settings.Should().BeNull();
        result.Errors.Should().ContainSingle().Which.Should().StartWith(Toml + error);
    }

    [Fact]
    public void Deep_nesting_is_refused_before_it_is_walked()
    {
        File.WriteAllText(Toml, "name = " + new string('[', 50_000) + new string(']', 50_000) + "\n");
        Load("--core", "http://a").Errors.Should().ContainSingle().Which.Should().StartWith(Toml + ":1:").And.Contain("maximum depth");
    }

    [Fact]
    public void A_huge_file_or_one_that_is_not_text_is_refused_without_reading_it_all()
    {
        File.WriteAllText(Toml, "# " + new string('x', 300 * 1024) + "\ncore = \"http://a\"\n");
        Load().Errors.Should().Equal($"config file {Toml} is larger than 256 KiB; a Node's config is a few lines");

        File.WriteAllBytes(Toml, [0x63, 0x6f, 0x72, 0x65, 0x20, 0x3d, 0x20, 0x22, 0xff, 0xfe, 0x22, 0x0a]);
        Load().Errors.Should().Equal($"config file {Toml} is not UTF-8 text");

        Load("--config", "/dev/zero").Errors.Should().Equal("config file /dev/zero is larger than 256 KiB; a Node's config is a few lines");
        Load("--config", _dir).Errors.Should().Equal($"config file {_dir} is a directory");
    }

    [Fact]
    public void Every_problem_in_the_file_is_reported_at_once()
    {
        File.WriteAllText(Toml, "core = \"ftp://a\"\nsampleIntervalMs = 1\ndockerSocket = \"docker.sock\"\n");
        Load().Errors.Should().Equal(
            $"{Toml}:1: core: \"ftp://a\" must be an absolute http:// or https:// URL",
            $"{Toml}:2: sampleIntervalMs: 1 must be within 250 to 60000 ms",
            $"{Toml}:3: dockerSocket: \"docker.sock\" must be an absolute path");
    }

    [Fact]
    public void A_bad_line_in_the_file_is_reported_even_while_a_flag_overrides_it()
    {
        File.WriteAllText(Toml, "core = \"http://a\"\nsampleIntervalMs = 1\n");
        Load("--interval-ms", "500").Errors.Should().Equal($"{Toml}:2: sampleIntervalMs: 1 must be within 250 to 60000 ms");
    }

    [Fact]
    public void An_existing_node_json_is_still_read_with_comments_trailing_commas_and_any_case()
    {
        File.WriteAllText(Json, """
            {
              // written by an older install script
              "core": "http://core:5080",
              "Name": "web-1",
              "allow": ["exec", "files"],
              "fileRoots": ["/srv/www/"],
              "forwardTargets": {"allow": ["127.0.0.0/8"], "Deny": ["10.0.0.0/8"]},
              "forwardPrivilegedPorts": true,
              "udpMaxSessions": 4000,
            }
            """);
        var result = Load();
        result.Errors.Should().BeEmpty();
        var settings = result.Settings!;
        settings.Core.Should().Be(new Uri("http://core:5080"));
        settings.Name.Should().Be("web-1");
        settings.Allow.Should().BeEquivalentTo(["exec", "files"]);
        settings.FileRoots.Should().Equal("/srv/www");
        settings.ForwardTargets.Allow.Select(n => n.ToString()).Should().Equal("127.0.0.0/8");
        settings.ForwardTargets.Deny.Select(n => n.ToString()).Should().Equal("10.0.0.0/8");
        settings.ForwardPrivilegedPorts.Should().BeTrue();
        settings.UdpSessions.PerRule.Should().Be(4000);
        settings.ConfigPath.Should().Be(Json, "refusals name the file the owner edits");
        result.Notes.Should().ContainSingle().Which.Should().Contain("older format").And.Contain("config convert");
    }

    [Theory]
    [InlineData("{\"core\": \"http://a\", \"sampleInterval\": 500}", ":1: unknown key sampleInterval")]
    [InlineData("{\n\"core\": \"http://a\",\n\"udpMaxSessions\": \"many\"\n}", ":3: udpMaxSessions: must be a whole number, not a string")]
    [InlineData("{\n\"core\": \"http://a\",\n\"allow\": \"exec\"\n}", ":3: allow: must be an array of strings, not a string")]
    [InlineData("{\n\"core\": \"http://a\",\n\"core\": \"http://b\"\n}", ":3: core is given twice")]
    [InlineData("{\n\"core\": ", ":2: ")]
    [InlineData("[1, 2]", ":1: the file must hold one JSON object")]
    [InlineData("{\"forwardTargets\": \"10.0.0.0/8\"}", ":1: forwardTargets must be an object (allow, deny), not a string")]
    public void A_hostile_node_json_is_an_error_naming_file_line_and_key(string json, string error)
    {
        File.WriteAllText(Json, json);
        Load().Errors.Should().ContainSingle().Which.Should().StartWith(Json + error);
    }

    [Fact]
    public void When_both_files_exist_node_toml_wins_and_the_log_says_node_json_is_ignored()
    {
        File.WriteAllText(Toml, "core = \"http://toml\"\n");
        File.WriteAllText(Json, """{"core": "http://json", "allow": ["exec"]}""");
        var result = Load();
        result.Settings!.Core.Host.Should().Be("toml");
        result.Settings.Allow.Should().BeEmpty("nothing of node.json is read");
        result.Notes.Should().Equal($"both {Toml} and {Json} exist; reading {Toml} and ignoring {Json} (move it aside)");
    }

    [Fact]
    public void A_command_line_that_still_names_a_converted_node_json_reads_node_toml()
    {
        File.WriteAllText(Toml, "core = \"http://toml\"\n");
        var result = Load("--config", Json);
        result.Settings!.Core.Host.Should().Be("toml");
        result.Notes.Should().ContainSingle().Which.Should().Contain("was converted to").And.Contain(Toml);
    }

    [Fact]
    public void Convert_turns_node_json_into_an_equivalent_node_toml_and_moves_the_key_out_of_the_config()
    {
        File.WriteAllText(Json, $$"""
            {
              "core": "http://core:5080",
              "key": "sxk_secret",
              "name": "web-1",
              "dataDir": "{{Data}}",
              "sampleIntervalMs": 2000,
              "allow": ["exec", "files"],
              "fileRoots": ["/srv/www", "/var/log"],
              "fileSpecialModes": true,
              "dockerSocket": "/run/podman/podman.sock",
              "udpMaxSessions": 4000,
              "udpMaxSessionsPerSource": 64,
              "forwardTargets": {"allow": ["127.0.0.0/8", "::1"], "deny": ["10.0.0.0/8"]},
              "forwardPrivilegedPorts": true
            }
            """);
        File.SetUnixFileMode(Json, OwnerOnly);
        var before = Load("--config", Json);

        var (code, stdout, stderr) = Config("convert");

        code.Should().Be(0, stderr);
        stdout.Should().Contain($"converted {Json} to {Toml}").And.Contain("enrollment.key");
        File.Exists(Json).Should().BeFalse();
        File.Exists(Json + ".bak").Should().BeTrue("the old file is kept aside");
        File.GetUnixFileMode(Toml).Should().Be(OwnerOnly);
        var toml = File.ReadAllText(Toml);
        toml.Should().NotContain("sxk_secret", "the enrollment key is never written into the config");
        File.ReadAllText(Path.Combine(Data, "enrollment.key")).Should().Be("sxk_secret\n");
        File.GetUnixFileMode(Path.Combine(Data, "enrollment.key")).Should().Be(OwnerOnly);

        var after = NodeSettingsLoader.Load([], _ => null, Host);
        after.Errors.Should().BeEmpty();
        after.Notes.Should().BeEmpty();
        foreach (var setting in NodeSettingsTable.FileSettings.Where(s => s != NodeSettingsTable.Key))
        {
            before.Values.ContainsKey(setting).Should().Be(after.Values.ContainsKey(setting), setting.Key);
            if (before.Values.TryGetValue(setting, out var was))
                setting.Show(after.Values[setting].Value).Should().Be(setting.Show(was.Value), setting.Key);
        }

        after.Settings!.Key.Should().Be("sxk_secret", "the Node still enrolls, from DATA/enrollment.key");
        after.Settings.KeyFile.Should().Be(Path.Combine(Data, "enrollment.key"));
    }

    [Fact]
    public void Convert_drops_a_key_the_node_no_longer_needs_and_refuses_to_overwrite_node_toml()
    {
        Directory.CreateDirectory(Data);
        File.WriteAllText(Path.Combine(Data, "identity.json"), """{"nodeId":"n","secret":"s","core":"http://a/"}""");
        File.WriteAllText(Json, $$"""{"core": "http://a", "key": "sxk_old", "dataDir": "{{Data}}"}""");
        var (code, stdout, _) = Config("convert", "--config", Json);
        code.Should().Be(0);
        stdout.Should().Contain("already has its own secret");
        File.Exists(Path.Combine(Data, "enrollment.key")).Should().BeFalse();
        File.ReadAllText(Toml).Should().NotContain("sxk_old");

        File.WriteAllText(Json, """{"core": "http://b"}""");
        var refused = Config("convert");
        refused.Code.Should().Be(2);
        refused.Stderr.Should().Contain($"{Toml} already exists");
        File.ReadAllText(Toml).Should().Contain("http://a");
    }

    [Fact]
    public void Convert_refuses_a_node_json_with_a_bad_value_and_leaves_it_alone()
    {
        File.WriteAllText(Json, "{\n\"core\": \"http://a\",\n\"sampleIntervalMs\": 5\n}");
        var (code, _, stderr) = Config("convert");
        code.Should().Be(2);
        stderr.Should().Contain($"{Json}:3: sampleIntervalMs: 5 must be within 250 to 60000 ms");
        File.Exists(Json).Should().BeTrue();
        File.Exists(Toml).Should().BeFalse();
    }

    [Fact]
    public void Set_changes_only_the_settings_given_and_keeps_the_owners_lines()
    {
        var original = """
            # my server
            core = "http://old"   # the old Core
            allow = ["exec"]

            [forwardTargets]
            # the local redis
            allow = ["127.0.0.1"]
            """;
        File.WriteAllText(Toml, original);

        var (code, _, stderr) = Config("set", "--core", "http://new:5080", "--name", "web-1", "--forward-targets-deny", "10.0.0.0/8", "--interval-ms", "2000");

        code.Should().Be(0, stderr);
        File.ReadAllText(Toml).Should().Be("""
            # my server
            core = "http://new:5080"   # the old Core
            allow = ["exec"]
            # the name the Core shows (default: the Core uses the host name)
            name = "web-1"
            # milliseconds between metric samples
            sampleIntervalMs = 2000

            [forwardTargets]
            # the local redis
            allow = ["127.0.0.1"]
            # more forward targets to refuse; deny wins where both lists match
            deny = ["10.0.0.0/8"]

            """);
        File.GetUnixFileMode(Toml).Should().Be(OwnerOnly);
        Config("set", "--core", "http://new:5080").Stdout.Should().Contain("unchanged");
    }

    [Fact]
    public void Set_creates_the_file_refuses_the_key_and_refuses_bad_values()
    {
        var (code, _, stderr) = Config("set", "--core", "http://a", "--monitor-only");
        code.Should().Be(0, stderr);
        File.GetUnixFileMode(Toml).Should().Be(OwnerOnly);
        Load().Settings!.Allow.Should().BeEmpty();
        File.ReadAllText(Toml).Should().Contain("allow = []");

        var key = Config("set", "--key", "sxk_secret");
        key.Code.Should().Be(2);
        key.Stderr.Should().Contain("never written into the config");
        var bad = Config("set", "--allow", "exec,root");
        bad.Code.Should().Be(2);
        bad.Stderr.Should().Contain("--allow: unknown capability \"root\"");
        File.ReadAllText(Toml).Should().NotContain("sxk_secret").And.NotContain("root");

        Config("set", "--name", "web \"one\" \\ two", "--dockerSocket", "/x").Code.Should().Be(2, "flags are the table's: --docker-socket");
        Config("set", "--name", "web \"one\" \\ two").Code.Should().Be(0);
        Config("get", "name").Stdout.Should().Be("web \"one\" \\ two\n", "quotes and backslashes are escaped in the file and read back as written");
    }

    [Fact]
    public void Check_prints_each_setting_with_where_its_value_comes_from()
    {
        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"k\"\nsampleIntervalMs = 2000\n");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = ConfigCommand.Run(["check", "--name", "flagged"], n => n == "SENTINELX_NODE_ALLOW" ? "exec" : null, Host, stdout, stderr);

        code.Should().Be(0, stderr.ToString());
        stdout.ToString().Should().Contain($"sampleIntervalMs = 2000  # {Toml}:3: sampleIntervalMs")
            .And.Contain("name = \"flagged\"  # --name")
            .And.Contain("allow = [\"exec\"]  # SENTINELX_NODE_ALLOW")
            .And.Contain("# dockerSocket: default /var/run/docker.sock")
            .And.Contain($"# key: set, from {Toml}:2: key")
            .And.NotContain("= \"k\"", "check never prints the key");
    }

    [Fact]
    public void Get_prints_a_setting_of_the_file_or_exits_1_when_the_file_does_not_set_it()
    {
        File.WriteAllText(Toml, "core = \"http://a\"\nallow = [\"exec\", \"files\"]\n");
        Config("get", "allow").Should().Be((0, "exec,files\n", ""));
        Config("get", "core").Should().Be((0, "http://a\n", ""));
        Config("get", "name").Code.Should().Be(1);
        Config("get", "bogus").Code.Should().Be(2);
        File.WriteAllText(Toml, "allow = []\n");
        Config("get", "allow").Should().Be((0, "none\n", ""));
    }
}
