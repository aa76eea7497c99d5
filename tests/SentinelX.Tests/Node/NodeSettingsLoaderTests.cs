using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node.Config;
using Xunit;

namespace SentinelX.Tests.Node;

[SupportedOSPlatform("linux")]
public sealed class NodeSettingsLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sx-config-").FullName;
    private readonly Dictionary<string, string> _env = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private NodeHost Host(bool root = false) => new(Path.Combine(_dir, "node.toml"), root, Path.Combine(_dir, "home"));

    private string Toml => Path.Combine(_dir, "node.toml");

    /// <summary>An older install's file, beside where node.toml would be.</summary>
    private string Json => Path.Combine(_dir, "node.json");

    private NodeSettingsResult Load(params string[] args) =>
        NodeSettingsLoader.Load(args, name => _env.GetValueOrDefault(name), Host());

    [Fact]
    public void Flags_alone_are_enough_and_defaults_fill_the_rest()
    {
        var (settings, errors) = Load("--core", "https://core.example:5080", "--key", "k1");
        errors.Should().BeEmpty();
        settings!.Core.Should().Be(new Uri("https://core.example:5080"));
        settings.Key.Should().Be("k1");
        settings.Name.Should().BeNull();
        settings.SampleIntervalMs.Should().Be(1000);
        settings.DataDir.Should().Be(Path.Combine(_dir, "home", ".local", "share", "sentinelx-node"));
    }

    [Fact]
    public void Root_defaults_to_var_lib()
    {
        NodeSettingsLoader.DefaultDataDir(Host(root: true)).Should().Be("/var/lib/sentinelx-node");
    }

    [Fact]
    public void Flags_override_environment_which_overrides_the_file()
    {
        File.WriteAllText(Toml, """
            # written by the install script
            core = "http://file:5080"
            key = "file-key"
            name = "file-name"
            dataDir = "/tmp/file-data"
            sampleIntervalMs = 2000
            """);
        _env["SENTINELX_NODE_KEY"] = "env-key";
        _env["SENTINELX_NODE_NAME"] = "env-name";

        var (fromFile, errors) = Load();
        errors.Should().BeEmpty();
        fromFile!.Core.Should().Be(new Uri("http://file:5080"));
        fromFile.Key.Should().Be("env-key");
        fromFile.Name.Should().Be("env-name");
        fromFile.DataDir.Should().Be("/tmp/file-data");
        fromFile.SampleIntervalMs.Should().Be(2000);

        var (flagged, _) = Load("--name=flag-name", "--data", "/tmp/flag-data", "--interval-ms", "500");
        flagged!.Name.Should().Be("flag-name");
        flagged.DataDir.Should().Be("/tmp/flag-data");
        flagged.SampleIntervalMs.Should().Be(500);
        flagged.Key.Should().Be("env-key");
    }

    [Fact]
    public void Config_flag_points_at_another_file()
    {
        var other = Path.Combine(_dir, "other.json");
        File.WriteAllText(other, """{"core":"http://other:1","key":"x"}""");
        var (settings, errors) = Load("--config", other);
        errors.Should().BeEmpty();
        settings!.Core.Host.Should().Be("other");

        var (_, missing) = Load("--config", Path.Combine(_dir, "nope.json"), "--core", "http://a", "--key", "k");
        missing.Should().ContainSingle().Which.Should().Contain("nope.json").And.Contain("does not exist");
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_one_line()
    {
        var (settings, errors) = Load("--core", "ftp://core", "--interval-ms", "10", "--name", new string('n', 65), "--colour", "red", "stray");
        settings.Should().BeNull();
        errors.Should().HaveCount(6);
        var line = NodeSettingsLoader.FormatErrors(errors);
        line.Should().StartWith("sentinelx-node: invalid settings: ").And.NotContain("\n");
        line.Should().Contain("unknown option --colour")
            .And.Contain("unexpected argument \"stray\"")
            .And.Contain("\"ftp://core\" must be an absolute http:// or https:// URL")
            .And.Contain("enrollment key is required")
            .And.Contain("name must be 1 to 64 characters")
            .And.Contain("--interval-ms: 10 must be within 250 to 60000 ms");
    }

    [Fact]
    public void Missing_values_and_bad_files_are_errors()
    {
        Load("--core").Errors.Should().Contain("--core needs a value");
        Load("--core", "http://a", "--key", "k", "--interval-ms", "fast").Errors.Should()
            .ContainSingle().Which.Should().Contain("\"fast\" is not a whole number");

        File.WriteAllText(Toml, "core = ");
        Load("--core", "http://a", "--key", "k").Errors.Should().ContainSingle().Which.Should().StartWith(Toml + ":1:8: ");

        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"k\"\nsampleInterval = 500\n");
        Load("--core", "http://a", "--key", "k").Errors.Should().ContainSingle().Which.Should().StartWith(Toml + ":3: unknown key sampleInterval");
    }

    [Fact]
    public void Key_is_not_needed_once_the_node_has_an_identity()
    {
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "identity.json"), """{"nodeId":"n","secret":"s","core":"http://a/"}""");
        var (settings, errors) = Load("--core", "http://a", "--data", data);
        errors.Should().BeEmpty();
        settings!.Key.Should().BeNull();
    }

    [Fact]
    public void Nothing_but_monitoring_is_allowed_unless_the_owner_says_otherwise()
    {
        Load("--core", "http://a", "--key", "k").Settings!.Allow.Should().BeEmpty("a Node is closed by default");
        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"k\"\n");
        Load().Settings!.Allow.Should().BeEmpty("a config without allow is monitor-only too");
        new NodeSettings { Core = new Uri("http://a"), DataDir = _dir }.Allow.Should().BeEmpty();
        File.Delete(Toml);
        Load("--core", "http://a", "--key", "k", "--monitor-only").Settings!.Allow.Should().BeEmpty();
        Load("--core", "http://a", "--key", "k", "--allow", "files, EXEC").Settings!.Allow.Should().BeEquivalentTo(["exec", "files"]);
        Load("--core", "http://a", "--key", "k", "--allow", "none").Settings!.Allow.Should().BeEmpty();
    }

    [Fact]
    public void The_allow_list_comes_from_the_file_unless_a_flag_or_the_environment_says_otherwise()
    {
        File.WriteAllText(Toml, """
            core = "http://a"
            key = "k"
            allow = []
            fileRoots = ["/srv/www/", "/home"]
            dockerSocket = "/run/podman/podman.sock"
            """);
        var (settings, errors) = Load();
        errors.Should().BeEmpty();
        settings!.Allow.Should().BeEmpty("[] in node.toml is monitor-only");
        settings.FileRoots.Should().Equal("/srv/www", "/home");
        settings.DockerSocket.Should().Be("/run/podman/podman.sock");

        _env["SENTINELX_NODE_ALLOW"] = "docker";
        Load().Settings!.Allow.Should().BeEquivalentTo(["docker"]);
        Load("--allow", "shell").Settings!.Allow.Should().BeEquivalentTo(["shell"]);
    }

    [Fact]
    public void Only_a_key_read_from_a_file_is_marked_for_removal_from_it()
    {
        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"from-file\"\n");
        Load().Settings!.KeyFile.Should().Be(Toml);
        Load("--key", "from-flag").Settings!.KeyFile.Should().BeNull("a key given as a flag is never written anywhere");
        _env["SENTINELX_NODE_KEY"] = "from-env";
        Load().Settings!.KeyFile.Should().BeNull();

        // The install script's way: the key waits in the data directory, never in the config.
        _env.Remove("SENTINELX_NODE_KEY");
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Toml, $"core = \"http://a\"\ndataDir = \"{data}\"\n");
        File.WriteAllText(Path.Combine(data, "enrollment.key"), "sxk_waiting\n");
        var waiting = Load().Settings!;
        waiting.Key.Should().Be("sxk_waiting");
        waiting.KeyFile.Should().Be(Path.Combine(data, "enrollment.key"));
        Load("--key", "from-flag").Settings!.KeyFile.Should().BeNull("a flag wins over the waiting file, which stays");
        File.WriteAllText(Path.Combine(data, "enrollment.key"), "sxk\u0001bad");
        Load().Errors.Should().ContainSingle().Which.Should().Contain("enrollment.key").And.Contain("control characters");
    }

    [Fact]
    public void Unknown_capabilities_and_relative_roots_are_errors()
    {
        Load("--core", "http://a", "--key", "k", "--allow", "exec,root").Errors.Should().ContainSingle()
            .Which.Should().Contain("unknown capability \"root\"");
        Load("--core", "http://a", "--key", "k", "--allow", "exec", "--monitor-only").Errors.Should().ContainSingle()
            .Which.Should().Contain("cannot be used together");
        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"k\"\nfileRoots = [\"srv\"]\n");
        Load().Errors.Should().ContainSingle().Which.Should().Be($"{Toml}:3: fileRoots: entry \"srv\" must be an absolute path");
    }

    [Fact]
    public void Udp_session_caps_default_come_from_the_file_or_environment_and_refuse_hostile_values()
    {
        var defaults = Load("--core", "http://a", "--key", "k").Settings!.UdpSessions;
        (defaults.PerRule, defaults.PerSource).Should().Be((1024, 256));

        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"k\"\nudpMaxSessions = 4000\nudpMaxSessionsPerSource = 64\n");
        var fromFile = Load().Settings!.UdpSessions;
        (fromFile.PerRule, fromFile.PerSource).Should().Be((4000, 64));
        _env["SENTINELX_NODE_UDP_MAX_SESSIONS"] = "50";
        var fromEnv = Load().Settings!.UdpSessions;
        (fromEnv.PerRule, fromEnv.PerSource).Should().Be((50, 50), "a per-source cap above the rule's is the rule's");

        foreach (var hostile in new[] { "0", "-1", "65537", "99999999999", "1e3", "abc", "0x10" })
        {
            _env["SENTINELX_NODE_UDP_MAX_SESSIONS"] = hostile;
            Load().Errors.Should().ContainSingle(hostile).Which.Should().Contain("SENTINELX_NODE_UDP_MAX_SESSIONS", hostile).And.NotContain("\n");
        }

        _env.Remove("SENTINELX_NODE_UDP_MAX_SESSIONS");
        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"k\"\nudpMaxSessionsPerSource = 0\n");
        Load().Errors.Should().ContainSingle().Which.Should().Be($"{Toml}:3: udpMaxSessionsPerSource: 0 must be within 1 to 65536");
        File.WriteAllText(Toml, "core = \"http://a\"\nkey = \"k\"\nudpMaxSessions = \"many\"\n");
        Load().Errors.Should().ContainSingle().Which.Should().Be($"{Toml}:3: udpMaxSessions: must be a whole number, not a string");
    }

    [Fact]
    public void Forward_targets_and_privileged_ports_come_from_the_file_the_environment_or_flags_and_default_to_nothing()
    {
        var defaults = Load("--core", "http://a", "--key", "k").Settings!;
        defaults.ForwardTargets.Allow.Should().BeEmpty();
        defaults.ForwardTargets.Deny.Should().BeEmpty();
        defaults.ForwardPrivilegedPorts.Should().BeFalse();
        defaults.ConfigPath.Should().Be(Toml);

        File.WriteAllText(Toml, """
            core = "http://a"
            key = "k"
            forwardPrivilegedPorts = true

            [forwardTargets]
            allow = ["127.0.0.0/8", "::1"]
            deny = ["10.0.0.0/8"]
            """);
        var fromFile = Load().Settings!;
        fromFile.ForwardTargets.Allow.Select(n => n.ToString()).Should().Equal("127.0.0.0/8", "::1/128");
        fromFile.ForwardTargets.Deny.Select(n => n.ToString()).Should().Equal("10.0.0.0/8");
        fromFile.ForwardPrivilegedPorts.Should().BeTrue();

        _env["SENTINELX_NODE_FORWARD_TARGETS_ALLOW"] = "169.254.169.254";
        _env["SENTINELX_NODE_FORWARD_PRIVILEGED_PORTS"] = "false";
        var fromEnv = Load().Settings!;
        fromEnv.ForwardTargets.Allow.Select(n => n.ToString()).Should().Equal("169.254.169.254/32");
        fromEnv.ForwardPrivilegedPorts.Should().BeFalse();

        var fromFlags = Load("--forward-targets-allow", "fe80::/10, 127.0.0.1", "--forward-targets-deny", "192.168.0.0/16", "--forward-privileged-ports").Settings!;
        fromFlags.ForwardTargets.Allow.Select(n => n.ToString()).Should().Equal("fe80::/10", "127.0.0.1/32");
        fromFlags.ForwardTargets.Deny.Select(n => n.ToString()).Should().Equal("192.168.0.0/16");
        fromFlags.ForwardPrivilegedPorts.Should().BeTrue();
    }

    [Theory]
    [InlineData("127.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("::1/129")]
    [InlineData("300.1.1.1")]
    [InlineData("localhost")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("fe80::1%eth0")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("*")]
    public void A_forward_target_entry_that_is_not_an_address_or_a_clean_cidr_is_an_error(string entry)
    {
        var errors = Load("--core", "http://a", "--key", "k", "--forward-targets-allow", entry).Errors;
        errors.Should().ContainSingle().Which.Should().Be(
            $"--forward-targets-allow: entry \"{entry}\" is not an IP address or a CIDR with its host bits zero (e.g. 127.0.0.0/8, ::1/128)");
    }

    [Fact]
    public void Hostile_forward_target_settings_are_reported_briefly()
    {
        var huge = new string('1', 100_000);
        Load("--core", "http://a", "--key", "k", "--forward-targets-deny", huge).Errors.Should().ContainSingle()
            .Which.Length.Should().BeLessThan(200, "a hostile value is not echoed whole");
        var many = string.Join(',', Enumerable.Range(0, 300).Select(i => $"10.{i / 256}.{i % 256}.0/24"));
        Load("--core", "http://a", "--key", "k", "--forward-targets-allow", many).Errors.Should().ContainSingle()
            .Which.Should().Be("--forward-targets-allow: holds 300 entries, more than 256");
        _env["SENTINELX_NODE_FORWARD_PRIVILEGED_PORTS"] = "maybe";
        Load("--core", "http://a", "--key", "k").Errors.Should().ContainSingle()
            .Which.Should().Be("SENTINELX_NODE_FORWARD_PRIVILEGED_PORTS: \"maybe\" must be true or false");
        File.WriteAllText(Toml, "[forwardTargets]\nallow = \"127.0.0.0/8\"\n");
        _env.Remove("SENTINELX_NODE_FORWARD_PRIVILEGED_PORTS");
        Load("--core", "http://a", "--key", "k").Errors.Should().ContainSingle()
            .Which.Should().Be($"{Toml}:2: forwardTargets.allow: must be an array of strings, not a string");
    }
}
