using System.Security.Cryptography;
using FluentAssertions;
using SentinelX.App.Features.Install;
using Xunit;

namespace SentinelX.Tests.Install;

public sealed class NodeBinariesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sx-binaries-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Build(string root, string rid, string content = "node")
    {
        var path = Path.Combine(_dir, root, rid, NodeBinaries.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void A_configured_directory_is_the_only_place_looked_in()
    {
        NodeBinaries.SearchDirectoriesFor("/srv/nodes", "/opt/sentinelx/", "/home/me/src")
            .Should().Equal("/srv/nodes");
    }

    [Fact]
    public void Unconfigured_it_looks_beside_the_core_then_in_the_working_directorys_artifacts()
    {
        NodeBinaries.SearchDirectoriesFor(null, "/opt/sentinelx/", "/home/me/src")
            .Should().Equal("/opt/sentinelx/node", "/home/me/src/artifacts/node");
        NodeBinaries.SearchDirectoriesFor("  ", "/opt/sentinelx", "/w").Should().Equal("/opt/sentinelx/node", "/w/artifacts/node");
    }

    [Fact]
    public void The_first_directory_holding_the_rid_wins_and_only_built_rids_are_available()
    {
        var release = Path.Combine(_dir, "release");
        var artifacts = Path.Combine(_dir, "artifacts");
        var arm = Build("artifacts", "linux-arm64");
        var x64 = Build("release", "linux-x64");
        Build("artifacts", "linux-x64");
        var binaries = new NodeBinaries([release, artifacts]);

        binaries.Find("linux-x64")!.FullName.Should().Be(x64);
        binaries.Find("linux-arm64")!.FullName.Should().Be(arm);
        binaries.Find("linux-musl-x64").Should().BeNull();
        binaries.Available().Should().Equal("linux-x64", "linux-arm64");
        new NodeBinaries([Path.Combine(_dir, "nothing")]).Available().Should().BeEmpty();
    }

    [Fact]
    public void Only_known_rids_are_looked_up_so_a_name_cannot_walk_out_of_the_directory()
    {
        Build("root", "linux-x64");
        Directory.CreateDirectory(Path.Combine(_dir, "root", "sub"));
        var binaries = new NodeBinaries([Path.Combine(_dir, "root", "sub")]);

        binaries.Find("../linux-x64").Should().BeNull();
        binaries.Find("win-x64").Should().BeNull();
    }

    [Theory]
    [InlineData("sentinelx-node-linux-x64", "linux-x64", false)]
    [InlineData("sentinelx-node-linux-arm64", "linux-arm64", false)]
    [InlineData("sentinelx-node-linux-arm64.sha256", "linux-arm64", true)]
    [InlineData("sentinelx-node-linux-musl-x64.sha256", "linux-musl-x64", true)]
    public void Download_names_map_to_a_rid(string name, string rid, bool checksum)
    {
        NodeBinaries.TryParseDownload(name, out var parsedRid, out var parsedChecksum).Should().BeTrue();
        parsedRid.Should().Be(rid);
        parsedChecksum.Should().Be(checksum);
    }

    [Theory]
    [InlineData("sentinelx-node")]
    [InlineData("sentinelx-node-")]
    [InlineData("sentinelx-node-win-x64")]
    [InlineData("sentinelx-node-linux-x64.sha1")]
    [InlineData("sentinelx-node-linux-x64.sha256.sha256")]
    [InlineData("sentinelx-linux-x64")]
    [InlineData("SENTINELX-NODE-LINUX-X64")]
    public void Other_names_are_not_downloads(string name)
    {
        NodeBinaries.TryParseDownload(name, out _, out _).Should().BeFalse();
    }

    [Fact]
    public async Task The_checksum_is_the_files_sha256_kept_until_its_size_or_time_changes()
    {
        var path = Build("root", "linux-x64", "first build");
        var binaries = new NodeBinaries([Path.Combine(_dir, "root")]);
        var first = await binaries.Sha256Async(binaries.Find("linux-x64")!);
        first.Should().Be(Convert.ToHexStringLower(SHA256.HashData("first build"u8)));

        // Same size and modification time: the cached value is served without reading the file.
        var stamp = File.GetLastWriteTimeUtc(path);
        File.WriteAllText(path, "other build");
        File.SetLastWriteTimeUtc(path, stamp);
        (await binaries.Sha256Async(binaries.Find("linux-x64")!)).Should().Be(first);

        // A rebuild changes the time: the checksum follows the file.
        File.SetLastWriteTimeUtc(path, stamp.AddSeconds(1));
        (await binaries.Sha256Async(binaries.Find("linux-x64")!)).Should().Be(Convert.ToHexStringLower(SHA256.HashData("other build"u8)));
    }

    [Fact]
    public void A_configured_directory_that_does_not_exist_is_a_start_up_error()
    {
        new DownloadsOptions { NodeDirectory = Path.Combine(_dir, "missing") }.Validate()
            .Should().ContainSingle().Which.Should().Contain("Downloads:NodeDirectory").And.Contain("does not exist");
        new DownloadsOptions { NodeDirectory = _dir }.Validate().Should().BeEmpty();
        new DownloadsOptions().Validate().Should().BeEmpty();
    }
}
