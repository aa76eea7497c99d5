using FluentAssertions;
using SentinelX.Node.Config;
using Xunit;

namespace SentinelX.Tests.Files;

/// <summary>The files settings of the Node's config: where file operations may reach, and whether special mode bits may be set.</summary>
public sealed class FilesSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sx-files-config-").FullName;
    private readonly Dictionary<string, string> _env = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private NodeSettingsResult Load(params string[] args) =>
        NodeSettingsLoader.Load(["--core", "http://a", "--key", "k", .. args], name => _env.GetValueOrDefault(name),
            new NodeHost(Path.Combine(_dir, "node.toml"), IsRoot: true, Path.Combine(_dir, "home")));

    [Fact]
    public void Without_file_roots_the_node_reaches_only_narrow_documented_places()
    {
        var roots = Load().Settings!.FileRoots;

        roots.Should().Equal("/var/log", "/srv", "/var/www", "/tmp");
        foreach (var never in new[] { "/", "/etc", "/root", "/home", "/opt", "/usr", "/proc", "/sys", "/dev", "/boot", "/var/lib" })
            roots.Should().NotContain(r => r == never || never.StartsWith(r + "/", StringComparison.Ordinal), never);
        new NodeSettings { Core = new Uri("http://a"), DataDir = _dir }.FileRoots.Should().Equal(roots, "the record's own default is the same");
    }

    [Fact]
    public void Special_modes_are_off_unless_the_file_the_environment_or_a_flag_turns_them_on()
    {
        Load().Settings!.FileSpecialModes.Should().BeFalse();

        File.WriteAllText(Path.Combine(_dir, "node.toml"), "fileSpecialModes = true\n");
        Load().Settings!.FileSpecialModes.Should().BeTrue();
        _env["SENTINELX_NODE_FILE_SPECIAL_MODES"] = "false";
        Load().Settings!.FileSpecialModes.Should().BeFalse("the environment overrides the file");
        Load("--file-special-modes").Settings!.FileSpecialModes.Should().BeTrue("a flag overrides the environment");
        Load("--file-special-modes=0").Settings!.FileSpecialModes.Should().BeFalse();
    }

    [Theory]
    [InlineData("--file-special-modes=maybe")]
    [InlineData("--file-special-modes=")]
    [InlineData("--file-special-modes=true; rm -rf /")]
    public void A_special_modes_value_that_is_not_yes_or_no_is_an_error(string flag)
    {
        var (settings, errors) = Load(flag);
        settings.Should().BeNull();
        errors.Should().ContainSingle().Which.Should().Contain("file-special-modes").And.Contain("true or false");
    }

    [Fact]
    public void A_special_modes_value_in_the_file_must_be_a_boolean()
    {
        File.WriteAllText(Path.Combine(_dir, "node.toml"), "fileSpecialModes = \"yes please\"\n");
        Load().Errors.Should().ContainSingle().Which.Should().EndWith(":1: fileSpecialModes: must be true or false, not a string");
    }
}
