using FluentAssertions;
using SentinelX.App.Features.Files;
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

    [Fact]
    public void Paths_inside_the_root_resolve_to_their_real_path()
    {
        _paths.Resolve(_root + "/sub/./a.txt", followLast: true).Should().Be(_root + "/sub/a.txt");
        _paths.Resolve(_root + "/sub/../sub/a.txt", followLast: true).Should().Be(_root + "/sub/a.txt");
        _paths.Resolve(_root + "/in-link", followLast: true).Should().Be(_root + "/sub/a.txt");
        _paths.Resolve(_root + "/in-link", followLast: false).Should().Be(_root + "/in-link", "delete and rename act on the link");
        _paths.Resolve(_root + "/sub/new-name", followLast: true).Should().Be(_root + "/sub/new-name", "a new name resolves through its parent");
        _paths.Resolve(_root + "/", followLast: true).Should().Be(_root);
    }

    [Theory]
    [InlineData("/../outside/secret")]
    [InlineData("/sub/../../outside/secret")]
    [InlineData("/out-file")]
    [InlineData("/out-dir/secret")]
    [InlineData("/out-dir/new-file")]
    [InlineData("/out-dir")]
    public void Escapes_are_refused_naming_the_root(string relative)
    {
        var act = () => _paths.Resolve(_root + relative, followLast: true);
        var error = act.Should().Throw<JsonRpcException>().Which;
        error.Code.Should().Be(JsonRpcErrorCodes.OperationFailed);
        error.ErrorData.Should().Be(FilesErrorReasons.OutsideRoots);
        error.Message.Should().Contain(_root);
    }

    [Fact]
    public void A_link_out_of_the_root_can_itself_be_deleted_but_not_followed()
    {
        _paths.Resolve(_root + "/out-dir", followLast: false).Should().Be(_root + "/out-dir");
        ((Action)(() => _paths.Resolve(_root + "/out-dir", followLast: true))).Should().Throw<JsonRpcException>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("relative/path")]
    [InlineData("/tmp/with\0nul")]
    public void Malformed_paths_are_bad_params(string path)
    {
        ((Action)(() => _paths.Resolve(path, followLast: true))).Should().Throw<JsonRpcException>()
            .Which.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
    }

    [Fact]
    public void A_missing_parent_is_not_found_inside_and_outside_elsewhere()
    {
        ((Action)(() => _paths.Resolve(_root + "/nope/file", followLast: true))).Should().Throw<JsonRpcException>()
            .Which.Code.Should().Be(JsonRpcErrorCodes.NotFound);
        ((Action)(() => _paths.Resolve("/definitely/not/here", followLast: true))).Should().Throw<JsonRpcException>()
            .Which.ErrorData.Should().Be(FilesErrorReasons.OutsideRoots, "nothing is revealed about paths outside the roots");
    }

    [Fact]
    public void Roots_themselves_cannot_be_removed()
    {
        ((Action)(() => _paths.DemandNotRoot(_root, "deleted"))).Should().Throw<JsonRpcException>();
        ((Action)(() => _paths.DemandNotRoot("/", "deleted"))).Should().Throw<JsonRpcException>();
        _paths.DemandNotRoot(_root + "/sub", "deleted");
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
    public void Modes_parse_as_octal(string mode, uint bits) => FilesFeature.ParseMode(mode).Should().Be(bits);

    [Theory]
    [InlineData("0999")]
    [InlineData("rwx")]
    [InlineData("12")]
    [InlineData("77777")]
    public void Bad_modes_are_refused(string mode) =>
        ((Action)(() => FilesFeature.ParseMode(mode))).Should().Throw<JsonRpcException>().Which.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);

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
