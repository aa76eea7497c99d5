using System.Diagnostics;
using FluentAssertions;
using Xunit;

namespace SentinelX.Tests.Node;

/// <summary>The real sentinelx-node program: exit codes, error lines and signals, as systemd and scripts see them.</summary>
public sealed class NodeProcessTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("sx-process-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Version_prints_the_version()
    {
        var (code, stdout, _) = await RunAsync(["--version"]);
        code.Should().Be(0);
        stdout.Trim().Should().MatchRegex(@"^sentinelx-node \d+\.\d+\.\d+");
    }

    [Fact]
    public async Task Bad_settings_give_one_line_listing_every_problem_and_exit_code_2()
    {
        var (code, stdout, stderr) = await RunAsync(["run", "--core", "nonsense", "--interval-ms", "5", "--data", _data],
            env: new() { ["SENTINELX_NODE_KEY"] = "" });
        code.Should().Be(2);
        stdout.Should().BeEmpty();
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle();
        lines[0].Should().Contain("--core: \"nonsense\" must be an absolute").And.Contain("enrollment key is required").And.Contain("--interval-ms: 5 must be within");
    }

    [Fact]
    public async Task A_hostile_config_file_gives_one_error_line_and_exit_code_2_not_a_crash()
    {
        var config = Path.Combine(_data, "node.toml");
        File.WriteAllText(config, "core = \"http://a\"\nname = " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        var (code, stdout, stderr) = await RunAsync(["run", "--config", config, "--data", _data]);
        code.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith($"sentinelx-node: invalid settings: {config}:2:").And.Contain("maximum depth");

        File.WriteAllText(config, "core = \"http://a\"\nkey = \"k\"\nallow = [\"exec\"]\nalow = [\"files\"]\n");
        (code, _, stderr) = await RunAsync(["run", "--config", config, "--data", _data]);
        code.Should().Be(2);
        stderr.Trim().Should().Be($"sentinelx-node: invalid settings: {config}:4: unknown key alow (did you mean allow?)");
    }

    [Fact]
    public async Task Sigterm_stops_it_cleanly_with_exit_code_0_and_the_samples_stay_on_disk()
    {
        // An enrolled node (no key needed any more) whose Core is unreachable keeps sampling to disk.
        File.WriteAllText(Path.Combine(_data, "identity.json"), """{"nodeId":"n1","secret":"s1","core":"http://127.0.0.1:9/"}""");
        using var process = Start(["run", "--core", "http://127.0.0.1:9", "--data", _data, "--interval-ms", "250"]);
        var stderr = process.StandardError.ReadToEndAsync();
        await Task.Delay(2000);
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);

        process.ExitCode.Should().Be(0);
        var log = await stderr;
        log.Should().Contain(" INFO sentinelx-node ").And.Contain(" INFO stopped");
        log.Should().Contain("cannot connect to http://127.0.0.1:9/: Connection refused");
        Directory.GetFiles(Path.Combine(_data, "outbox"), "*.seg").Should().ContainSingle()
            .Which.Should().Match(f => new FileInfo(f).Length > 1000);
    }

    private static Process Start(string[] args, Dictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sentinelx-node.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        // Keep the machine's real /etc/sentinelx/node.toml (if any) out of the test.
        info.Environment["SENTINELX_NODE_CORE"] = "";
        foreach (var (k, v) in env ?? []) info.Environment[k] = v;
        return Process.Start(info)!;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args, Dictionary<string, string>? env = null)
    {
        using var process = Start(args, env);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
