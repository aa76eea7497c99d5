using FluentAssertions;
using SentinelX.App.Features.Files;
using SentinelX.App.Features.Nodes;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Files;

/// <summary>The Node's root confinement against a real directory tree with real symlinks.</summary>
public sealed class FilesPathsTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("sx-files-paths-").FullName;
    private readonly string _root;
    private readonly string _outside;
    private readonly FilesPaths _paths;

    public FilesPathsTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base, "root")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_base, "outside")).FullName;
        File.WriteAllText(Path.Combine(_outside, "secret"), "s");
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        File.WriteAllText(Path.Combine(_root, "sub", "a.txt"), "a");
        File.CreateSymbolicLink(Path.Combine(_root, "out-dir"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "out-file"), Path.Combine(_outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(_root, "in-link"), Path.Combine(_root, "sub", "a.txt"));
        _paths = new FilesPaths([_root]);
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Paths_inside_the_root_open_beneath_it(bool walk)
    {
        var paths = new FilesPaths([_root], walk);
        using (var file = paths.Open(_root + "/sub/./a.txt", FilesNative.ORdOnly, out var at))
        {
            at.Full.Should().Be(_root + "/sub/a.txt");
            at.Relative.Should().Be("sub/a.txt");
            FilesNative.TryFstat(file, out var stat, out _).Should().BeTrue();
            stat.Size.Should().Be(1);
        }

        using (paths.Open(_root + "/sub/../sub/a.txt", FilesNative.OPath, out var at)) at.Full.Should().Be(_root + "/sub/a.txt");
        using (paths.Open(_root + "/", FilesNative.ORdOnly | FilesNative.ODirectory, out var at)) at.Relative.Should().Be("");
        var (parent, name, _) = paths.OpenParent(_root + "/sub/new-name", "created");
        using (parent) name.Should().Be("new-name");
    }

    [Theory]
    [InlineData("/in-link", false)]
    [InlineData("/in-link", true)]
    [InlineData("/out-file", false)]
    [InlineData("/out-file", true)]
    [InlineData("/out-dir", false)]
    [InlineData("/out-dir", true)]
    [InlineData("/out-dir/secret", false)]
    [InlineData("/out-dir/secret", true)]
    public void Any_link_on_the_way_is_refused_with_openat2_and_with_the_walk(string relative, bool walk)
    {
        var paths = new FilesPaths([_root], walk);
        foreach (var flags in new[] { FilesNative.ORdOnly, FilesNative.OPath, FilesNative.OWrOnly | FilesNative.OCreat })
        {
            var act = () => paths.Open(_root + relative, flags, out _, 0x1B6).Dispose();
            var error = act.Should().Throw<JsonRpcException>().Which;
            error.ErrorData.Should().Be(FilesErrorReasons.Symlink, $"flags {flags}");
        }

        File.ReadAllText(Path.Combine(_outside, "secret")).Should().Be("s");
    }

    [Theory]
    [InlineData("/../outside/secret")]
    [InlineData("/sub/../../outside/secret")]
    public void Escapes_are_refused_naming_the_root(string relative)
    {
        var act = () => _paths.Locate(_root + relative);
        var error = act.Should().Throw<JsonRpcException>().Which;
        error.Code.Should().Be(JsonRpcErrorCodes.OperationFailed);
        error.ErrorData.Should().Be(FilesErrorReasons.OutsideRoots);
        error.Message.Should().Contain(_root);
    }

    [Fact]
    public void A_root_that_is_itself_a_link_is_the_owners_choice_and_matches_both_names()
    {
        var alias = Path.Combine(_base, "alias");
        File.CreateSymbolicLink(alias, _root);
        var paths = new FilesPaths([alias]);

        using (paths.Open(alias + "/sub/a.txt", FilesNative.ORdOnly, out var at)) at.Root.Should().Be(alias);
        using (paths.Open(_root + "/sub/a.txt", FilesNative.ORdOnly, out var at)) at.Relative.Should().Be("sub/a.txt");
    }

    [Theory]
    [InlineData("")]
    [InlineData("relative/path")]
    [InlineData("/tmp/with\0nul")]
    public void Malformed_paths_are_bad_params(string path)
    {
        ((Action)(() => _paths.Locate(path))).Should().Throw<JsonRpcException>()
            .Which.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
    }

    [Fact]
    public void A_missing_parent_is_not_found_inside_and_outside_elsewhere()
    {
        ((Action)(() => _paths.Open(_root + "/nope/file", FilesNative.ORdOnly, out _))).Should().Throw<JsonRpcException>()
            .Which.Code.Should().Be(JsonRpcErrorCodes.NotFound);
        ((Action)(() => _paths.Open("/definitely/not/here", FilesNative.ORdOnly, out _))).Should().Throw<JsonRpcException>()
            .Which.ErrorData.Should().Be(FilesErrorReasons.OutsideRoots, "nothing is revealed about paths outside the roots");
    }

    [Fact]
    public void Roots_themselves_cannot_be_removed()
    {
        ((Action)(() => _paths.OpenParent(_root, "deleted"))).Should().Throw<JsonRpcException>()
            .Which.ErrorData.Should().Be(FilesErrorReasons.Permission);
        ((Action)(() => new FilesPaths(["/"]).OpenParent("/", "deleted"))).Should().Throw<JsonRpcException>();
        var (parent, _, _) = _paths.OpenParent(_root + "/sub", "deleted");
        parent.Dispose();
    }

    [Fact]
    public void Lstat_reports_the_link_and_the_file_with_owner_and_mode()
    {
        File.SetUnixFileMode(Path.Combine(_root, "sub", "a.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        FilesNative.TryLstat(Path.Combine(_root, "sub", "a.txt"), out var file, out _).Should().BeTrue();
        file.Type.Should().Be("file");
        file.Size.Should().Be(1);
        FilesFeature.FormatMode(file.Permissions).Should().Be("0640");
        FilesOwners.Load().User(file.Uid).Should().Be(Environment.UserName);
        file.MtimeMs.Should().BeCloseTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 60_000);

        FilesNative.TryLstat(Path.Combine(_root, "in-link"), out var link, out _).Should().BeTrue();
        link.Type.Should().Be("symlink");
        FilesNative.TryLstat(Path.Combine(_root, "missing"), out _, out var errno).Should().BeFalse();
        errno.Should().Be(FilesNative.ENOENT);
    }

    [Theory]
    [InlineData("0644", 420u)]
    [InlineData("755", 493u)]
    [InlineData("4755", 2541u)]
    [InlineData("07777", 4095u)]
    public void Modes_parse_as_octal(string mode, uint bits) => FilesFeature.ParseMode(mode).Should().Be(bits);

    [Theory]
    [InlineData("0999")]
    [InlineData("rwx")]
    [InlineData("12")]
    [InlineData("77777")]
    [InlineData("10000")]
    [InlineData("017777")]
    public void Bad_modes_are_refused(string mode) =>
        ((Action)(() => FilesFeature.ParseMode(mode))).Should().Throw<JsonRpcException>().Which.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);

    [Fact]
    public void The_core_answers_a_refused_link_with_403_and_the_nodes_words()
    {
        var failure = NodeFailure.FromRpc(FilesPaths.Failure(FilesNative.ELOOP, "/srv/a"), Capabilities.Files);
        failure.Status.Should().Be(403);
        failure.Title.Should().Be("Symbolic link refused");
        failure.Detail.Should().Be("/srv/a goes through a symbolic link; file operations never follow links");
    }

    [Fact]
    public void The_tab_builds_crumbs_and_parents()
    {
        FilesPath.Crumbs("/var/log/nginx").Should().Equal(("/", "/"), ("var", "/var"), ("log", "/var/log"), ("nginx", "/var/log/nginx"));
        FilesPath.Parent("/var/log").Should().Be("/var");
        FilesPath.Parent("/var").Should().Be("/");
        FilesPath.Join("/", "etc").Should().Be("/etc");
        FilesPath.Join("/etc", "hosts").Should().Be("/etc/hosts");
    }
}
