using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SentinelX.App.Features.Install;
using Xunit;

namespace SentinelX.Tests.Install;

/// <summary>
/// The install line the dialog shows, run by bash against a stand-in Core on loopback that can be
/// made to lie as a man in the middle would: a swapped script, or a swapped binary with a matching
/// <c>.sha256</c>. Everything lands under a temp prefix.
/// </summary>
public sealed class InstallLineTests : IAsyncLifetime
{
    private const string Key = "sxk_line-test";
    private static readonly InstallScript Shipped = new();
    private readonly string _work = Directory.CreateTempSubdirectory("sx-install-line-").FullName;
    private WebApplication _app = null!;
    private string _url = "";

    /// <summary>What the stand-in serves; tests replace these to tamper.</summary>
    private string _script = "";
    /// <summary>A stand-in binary that runs the real Node program (built beside the tests): the script writes node.toml through it.</summary>
    private byte[] _binary = Encoding.UTF8.GetBytes($"#!/bin/sh\nexec dotnet \"{Path.Combine(AppContext.BaseDirectory, "sentinelx-node.dll")}\" \"$@\"\n");
    private string? _binarySha;

    private string Prefix => Path.Combine(_work, "server");
    private string Config => Path.Combine(Prefix, "etc/sentinelx/node.toml");
    private string DataDir => Path.Combine(Prefix, "var/lib/sentinelx-node");

    /// <summary>What node.toml says, read by the Node's own reader.</summary>
    private Dictionary<string, string> Written()
    {
        var errors = new List<string>();
        var entries = SentinelX.Node.Config.ConfigFile.Read(Config, errors);
        errors.Should().BeEmpty();
        return entries!.ToDictionary(e => e.Setting.Key!, e =>
        {
            e.Setting.TryRead(e.Value, out var value, out _).Should().BeTrue();
            return e.Setting.Show(value!);
        });
    }
    private string Binary => Path.Combine(Prefix, "usr/local/bin/sentinelx-node");

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/install.sh", () => Results.Text(_script, "text/x-shellscript; charset=utf-8"));
        _app.MapGet("/download/sentinelx-node-linux-x64", () => Results.Bytes(_binary, "application/octet-stream"));
        _app.MapGet("/download/sentinelx-node-linux-x64.sha256", () => Results.Text($"{_binarySha ?? Hex(_binary)}  sentinelx-node\n"));
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>The script as the Core renders it, pinning <paramref name="binary"/>, and the line that checks it.</summary>
    private string Line(byte[] binary, params string[] allow)
    {
        _script = Shipped.Render(_url, new Dictionary<string, string> { ["linux-x64"] = Hex(binary) })!;
        var line = InstallCommand.Build(_url, Key, InstallScript.Sha256Of(_script), allow);
        // Under a prefix, not started; everything else as a user would paste it.
        return line.Replace("bash \"$f\"", $"bash \"$f\" --prefix {Prefix} --no-start", StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_line_installs_the_pinned_binary_with_the_key_from_the_environment_and_the_ticked_capabilities()
    {
        var result = await RunAsync(Line(_binary, "exec", "files"));

        result.Code.Should().Be(0, result.Output);
        result.Output.Should().Contain("verifying the SHA-256 checksum pinned in this script");
        (await File.ReadAllBytesAsync(Binary)).Should().Equal(_binary);
        var config = Written();
        config.Should().NotContainKey("key", "the enrollment key is never written into the config");
        (await File.ReadAllTextAsync(Config)).Should().NotContain(Key);
        (await File.ReadAllTextAsync(Path.Combine(DataDir, "enrollment.key"))).Should().Be(Key + "\n", "SENTINELX_KEY reaches the script");
        File.GetUnixFileMode(Path.Combine(DataDir, "enrollment.key")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Config).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        config["allow"].Should().Be("exec,files");
    }

    [Fact]
    public async Task A_script_swapped_on_the_way_is_not_run()
    {
        var line = Line(_binary);
        _script = _script.Replace("set -euo pipefail", "set -euo pipefail\ntouch " + Path.Combine(_work, "pwned"), StringComparison.Ordinal);

        var result = await RunAsync(line);

        result.Code.Should().NotBe(0);
        result.Output.Should().Contain("FAILED");
        File.Exists(Path.Combine(_work, "pwned")).Should().BeFalse("the altered script never ran");
        Directory.Exists(Prefix).Should().BeFalse();
    }

    [Fact]
    public async Task A_binary_swapped_on_the_way_is_refused_even_with_a_matching_sha256_file()
    {
        var line = Line(_binary);
        _binary = Encoding.UTF8.GetBytes("#!/bin/sh\necho backdoor\n");
        _binarySha = Hex(_binary); // the man in the middle swaps the .sha256 as well

        var result = await RunAsync(line);

        result.Code.Should().NotBe(0);
        result.Output.Should().Contain("checksum mismatch").And.Contain("nothing was installed");
        File.Exists(Binary).Should().BeFalse();
    }

    [Fact]
    public async Task Without_allow_the_install_is_monitor_only_an_old_config_is_closed_and_an_explicit_list_is_kept()
    {
        var fresh = await RunAsync(Line(_binary));
        fresh.Code.Should().Be(0, fresh.Output);
        fresh.Output.Should().Contain("monitor only").And.Contain("--allow");
        Written()["allow"].Should().Be("none");

        // A node.json written before the Node was closed by default, by a Node that has enrolled.
        File.Delete(Config);
        await File.WriteAllTextAsync(Path.ChangeExtension(Config, ".json"), $$"""
            {
              "core": "{{_url}}",
              "name": "old",
              "dataDir": "{{Path.Combine(Prefix, "var/lib/sentinelx-node")}}"
            }
            """);
        Directory.CreateDirectory(Path.Combine(Prefix, "var/lib/sentinelx-node"));
        await File.WriteAllTextAsync(Path.Combine(Prefix, "var/lib/sentinelx-node/identity.json"), "{}");
        var upgrade = await RunAsync(Line(_binary));
        upgrade.Code.Should().Be(0, upgrade.Output);
        upgrade.Output.Should().Contain("converting").And.Contain("had no allow list").And.Contain("monitor only");
        var closed = Written();
        closed["allow"].Should().Be("none");
        closed["name"].Should().Be("old");
        File.Exists(Path.ChangeExtension(Config, ".json")).Should().BeFalse();
        File.Exists(Path.ChangeExtension(Config, ".json.bak")).Should().BeTrue();

        (await RunAsync(Line(_binary, "docker"))).Code.Should().Be(0);
        var kept = await RunAsync(Line(_binary));
        kept.Code.Should().Be(0, kept.Output);
        kept.Output.Should().Contain("keeping the allow list");
        Written()["allow"].Should().Be("docker");
    }

    private static string Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private async Task<(int Code, string Output)> RunAsync(string line)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _work };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(line);
        info.Environment.Remove("SENTINELX_KEY");
        using var bash = Process.Start(info)!;
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();
        return (bash.ExitCode, await stdout + await stderr);
    }
}
