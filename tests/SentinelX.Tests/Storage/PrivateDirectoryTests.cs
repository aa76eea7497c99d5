using FluentAssertions;
using SentinelX.Shared.Storage;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>Data directories (the Core's database and keys, a Node's secret) are owner-only, and older installs are tightened.</summary>
public sealed class PrivateDirectoryTests : IDisposable
{
    private const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode OpenDirectory = Open | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private static readonly string[] DataFiles = ["sentinelx.db", "sentinelx.db-wal", "sentinelx.db-shm", "core.key", "keys/key-1.xml"];

    private readonly string _base = Directory.CreateTempSubdirectory("sx-private-").FullName;

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Fact]
    public void A_new_directory_is_created_owner_only()
    {
        var data = Path.Combine(_base, "fresh", "data");

        PrivateDirectory.Prepare(data).Should().BeEmpty("nothing had to be tightened");

        File.GetUnixFileMode(data).Should().Be(PrivateDirectory.DirectoryMode);
    }

    [Fact]
    public void An_install_left_0755_and_0644_is_tightened_and_says_what_it_tightened()
    {
        var data = Directory.CreateDirectory(Path.Combine(_base, "data")).FullName;
        var keys = Directory.CreateDirectory(Path.Combine(data, "keys")).FullName;
        foreach (var file in DataFiles)
        {
            File.WriteAllText(Path.Combine(data, file), "x");
            File.SetUnixFileMode(Path.Combine(data, file), Open);
        }

        File.WriteAllText(Path.Combine(data, "already.txt"), "x");
        File.SetUnixFileMode(Path.Combine(data, "already.txt"), PrivateDirectory.FileMode);
        File.SetUnixFileMode(data, OpenDirectory);
        File.SetUnixFileMode(keys, OpenDirectory);

        var tightened = PrivateDirectory.Prepare(data);

        tightened.Should().BeEquivalentTo([data, keys, .. DataFiles.Select(f => Path.Combine(data, f))]);
        File.GetUnixFileMode(data).Should().Be(PrivateDirectory.DirectoryMode);
        File.GetUnixFileMode(keys).Should().Be(PrivateDirectory.DirectoryMode);
        foreach (var file in Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories))
            File.GetUnixFileMode(file).Should().Be(PrivateDirectory.FileMode, file);
        PrivateDirectory.Prepare(data).Should().BeEmpty("a second start finds nothing to do");
    }

    [Fact]
    public void Links_in_the_directory_are_not_followed()
    {
        var data = Directory.CreateDirectory(Path.Combine(_base, "data")).FullName;
        var elsewhere = Directory.CreateDirectory(Path.Combine(_base, "elsewhere")).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "shared.txt"), "x");
        File.SetUnixFileMode(Path.Combine(elsewhere, "shared.txt"), Open);
        File.SetUnixFileMode(elsewhere, OpenDirectory);
        File.CreateSymbolicLink(Path.Combine(data, "to-dir"), elsewhere);
        File.CreateSymbolicLink(Path.Combine(data, "to-file"), Path.Combine(elsewhere, "shared.txt"));

        PrivateDirectory.Tighten(data);

        File.GetUnixFileMode(elsewhere).Should().Be(OpenDirectory);
        File.GetUnixFileMode(Path.Combine(elsewhere, "shared.txt")).Should().Be(Open);
    }
}
