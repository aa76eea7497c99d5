using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace SentinelX.Tests.Install;

/// <summary>
/// SentinelX.App/build/DevNode.targets, the step of <c>dotnet run</c> that builds the Node the Add server line
/// installs: run through MSBuild against a stand-in source tree, with the build replaced by a script that
/// counts its runs, to show it runs once and again only when a source changes.
/// </summary>
public sealed class DevNodeTargetTests : IDisposable
{
    private readonly string _tree = Directory.CreateTempSubdirectory("sx-devnode-").FullName;

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    private string Runs => Path.Combine(_tree, "runs");

    private string Binary => Path.Combine(_tree, "out", "node", "linux-x64", "sentinelx-node");

    [Fact]
    public async Task The_node_is_built_on_the_first_run_and_again_only_when_a_source_changed()
    {
        var old = DateTime.UtcNow.AddHours(-1);
        foreach (var file in new[] { "SentinelX.Node/Program.cs", "SentinelX.Node/SentinelX.Node.csproj", "SentinelX.Shared/Protocol/Messages.cs",
                     "Directory.Build.props", "Directory.Packages.props", "packaging/build-node.sh" })
        {
            var path = Path.Combine(_tree, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, "");
            File.SetLastWriteTimeUtc(path, old);
        }

        await File.WriteAllTextAsync(Path.Combine(_tree, "build.sh"),
            $"echo run >> '{Runs}'\nmkdir -p '{Path.GetDirectoryName(Binary)}'\necho node > '{Binary}'\n");

        await RunTargetAsync();
        File.Exists(Binary).Should().BeTrue();
        RunCount().Should().Be(1, "a fresh clone has no Node yet");

        await RunTargetAsync();
        RunCount().Should().Be(1, "nothing changed, so the second run does not build the Node again");

        File.SetLastWriteTimeUtc(Path.Combine(_tree, "SentinelX.Shared/Protocol/Messages.cs"), DateTime.UtcNow.AddMinutes(1));
        await RunTargetAsync();
        RunCount().Should().Be(2, "the protocol is part of the Node");
    }

    private int RunCount() => File.Exists(Runs) ? File.ReadAllLines(Runs).Length : 0;

    private async Task RunTargetAsync()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     "msbuild", Path.Combine(RepoRoot(), "SentinelX.App", "SentinelX.App.csproj"), "-t:SentinelXDevNode", "-nologo", "-v:m",
                     "-nodeReuse:false", $"-p:SentinelXRepoRoot={_tree}", $"-p:OutDir={_tree}/out/", "-p:SentinelXDevNodeRid=linux-x64",
                     $"-p:SentinelXDevNodeCommand=sh {_tree}/build.sh",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var msbuild = Process.Start(info)!;
        var stdout = msbuild.StandardOutput.ReadToEndAsync();
        var stderr = msbuild.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await msbuild.WaitForExitAsync(timeout.Token);
        msbuild.ExitCode.Should().Be(0, await stdout + await stderr);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SentinelX.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("SentinelX.sln not found above " + AppContext.BaseDirectory);
    }
}
