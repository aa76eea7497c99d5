using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// The Core's data directory (database with TOTP seeds and hop secrets, keys) and a Node's (its
/// secret) are owner-only on disk, and an install left open by an older version is tightened at start.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class DataDirectoryTests : IAsyncLifetime
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;
    private const UnixFileMode OpenFile = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode OpenDirectory = PrivateDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly CoreInstance _core = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task The_database_its_wal_and_keys_are_0600_in_a_0700_directory_and_an_open_install_is_tightened()
    {
        // What an older version left: the directory 0755 and a file 0644.
        File.SetUnixFileMode(_core.DataDir, OpenDirectory);
        var leftover = Path.Combine(_core.DataDir, "leftover.txt");
        File.WriteAllText(leftover, "x");
        File.SetUnixFileMode(leftover, OpenFile);

        await _core.StartAsync();
        using var admin = await _core.ClientAsync();
        await using var node = _core.NewNode("private");
        File.SetUnixFileMode(node.DataDir, OpenDirectory);
        await _core.StartOnlineNodeAsync(node, admin);

        File.GetUnixFileMode(_core.DataDir).Should().Be(PrivateDirectory);
        foreach (var name in new[] { "sentinelx.db", "sentinelx.db-wal", "sentinelx.db-shm", "core.key", "leftover.txt" })
            File.GetUnixFileMode(Path.Combine(_core.DataDir, name)).Should().Be(Private, name);
        var keys = Path.Combine(_core.DataDir, "keys");
        File.GetUnixFileMode(keys).Should().Be(PrivateDirectory);
        Directory.GetFiles(keys).Should().NotBeEmpty().And.OnlyContain(f => File.GetUnixFileMode(f) == Private, "data protection keys");
        foreach (var entry in Directory.EnumerateFileSystemEntries(_core.DataDir, "*", SearchOption.AllDirectories))
            (File.GetUnixFileMode(entry) & (UnixFileMode)0x3F).Should().Be(0, $"{entry} is readable by nobody but the Core's user");
        _core.Process.Output.Should().Contain("owner-only", "the Core says what it tightened");

        File.GetUnixFileMode(node.DataDir).Should().Be(PrivateDirectory, "the Node's data directory holds its secret");
        File.GetUnixFileMode(Path.Combine(node.DataDir, "identity.json")).Should().Be(Private);
    }
}
