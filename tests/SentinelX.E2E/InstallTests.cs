using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// The one-line install as a new server runs it: the script served by a real Core, piped into bash,
/// downloading the real Node binary, which then comes online. Everything goes under a temp prefix.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class InstallTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private readonly string _work = Directory.CreateTempSubdirectory("sentinelx-install-").FullName;

    /// <summary>The rid the script picks on this machine; the Core is given a Node for it and for nothing else.</summary>
    private static readonly string Rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";

    private static readonly string MissingRid = Rid == "linux-x64" ? "linux-arm64" : "linux-x64";

    public async Task InitializeAsync()
    {
        var nodes = Path.Combine(_work, "downloads");
        Directory.CreateDirectory(Path.Combine(nodes, Rid));
        File.Copy(Binaries.Node, Path.Combine(nodes, Rid, "sentinelx-node"));
        _core.Environment["SENTINELX_Downloads__NodeDirectory"] = nodes;
        await _core.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _core.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task The_served_script_installs_a_node_that_comes_online_and_keeps_its_identity_when_run_again()
    {
        var script = await _core.Http.GetStringAsync("/install.sh");
        script.Should().Contain($"default_core='{_core.Url}'", "the Core fills in its own URL, so --core can be left out");
        var binarySha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Binaries.Node)));
        script.Should().Contain($"pinned_sha256='{Rid}={binarySha}'", "the script pins the binary it installs");
        var key = await _core.EnrollmentKeyAsync();
        var prefix = Path.Combine(_work, "server");

        var install = await RunScriptAsync(script, "--prefix", prefix, "--no-start", "--key", key, "--name", "installed-by-script");

        install.Code.Should().Be(0, install.ToString());
        var layout = new Layout(prefix);
        (await File.ReadAllBytesAsync(layout.Binary)).Should().Equal(await File.ReadAllBytesAsync(Binaries.Node));
        File.GetUnixFileMode(layout.Binary).Should().HaveFlag(UnixFileMode.UserExecute);
        File.GetUnixFileMode(layout.Config).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "only root reads the server's own locks");
        (await File.ReadAllTextAsync(layout.Config)).Should().NotContain(key, "the enrollment key is never written into the config");
        (await File.ReadAllTextAsync(layout.KeyFile)).Trim().Should().Be(key);
        File.GetUnixFileMode(layout.KeyFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "the key waits readable by root only");
        (await ConfigGetAsync(layout, "core")).Should().Be(_core.Url);
        (await ConfigGetAsync(layout, "name")).Should().Be("installed-by-script");
        (await ConfigGetAsync(layout, "dataDir")).Should().Be(layout.DataDir, "with --prefix the Node's data stays under the prefix");

        // The user pastes the command the script printed.
        var command = install.Stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(layout.Binary + " run", StringComparison.Ordinal));
        command.Should().Be($"{layout.Binary} run --config {layout.Config}");
        var machineId = Guid.NewGuid().ToString("N");
        using var viewer = await _core.ClientAsync("viewer");
        string nodeId;
        await using (var node = StartPrinted(command, machineId))
        {
            nodeId = (await OnlineAsync(viewer, "installed-by-script", node)).Id;
        }

        await Eventually.WaitAsync(async () => (await CoreInstance.GetJsonAsync<List<NodeView>>(viewer, "/api/v1/nodes")).All(n => !n.Online),
            TimeSpan.FromSeconds(30), "the stopped Node shown offline", () => _core.Output);

        var identity = await File.ReadAllTextAsync(Path.Combine(layout.DataDir, "identity.json"));
        identity.Should().Contain(nodeId);
        File.Exists(layout.KeyFile).Should().BeFalse("the Node deletes the fleet key once it has its own secret");
        (await ConfigGetAsync(layout, "name")).Should().Be("installed-by-script");
        File.GetUnixFileMode(layout.Config).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Run again without a key, as an upgrade would be: the binary is replaced, config and identity stay.
        var upgrade = await RunScriptAsync(script, "--prefix", prefix, "--no-start");

        upgrade.Code.Should().Be(0, upgrade.ToString());
        upgrade.Stdout.Should().Contain("upgrading " + layout.Binary).And.Contain("keeping the Node's identity");
        File.Exists(layout.KeyFile).Should().BeFalse("an upgrade does not bring the key back");
        (await ConfigGetAsync(layout, "name")).Should().Be("installed-by-script");
        File.GetUnixFileMode(layout.Config).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await File.ReadAllTextAsync(Path.Combine(layout.DataDir, "identity.json"))).Should().Be(identity);

        await using (var node = StartPrinted(command, machineId))
        {
            (await OnlineAsync(viewer, "installed-by-script", node)).Id.Should().Be(nodeId, "the upgraded Node is the same server to the Core");
        }

        (await CoreInstance.GetJsonAsync<List<NodeView>>(viewer, "/api/v1/nodes")).Should().ContainSingle();
    }

    [Fact]
    public async Task Monitor_only_is_written_to_the_config_kept_on_upgrade_and_reported_as_every_lock_closed()
    {
        var script = await _core.Http.GetStringAsync("/install.sh");
        var prefix = Path.Combine(_work, "server");
        var layout = new Layout(prefix);

        var refused = await RunScriptAsync(script, "--prefix", prefix, "--no-start", "--key", await _core.EnrollmentKeyAsync(), "--allow", "exec,root");
        refused.Code.Should().NotBe(0);
        refused.Stderr.Should().Contain("unknown capability \"root\"");
        Directory.Exists(prefix).Should().BeFalse("a bad --allow is refused before anything is written");

        var install = await RunScriptAsync(script, "--prefix", prefix, "--no-start", "--key", await _core.EnrollmentKeyAsync(), "--name", "watch-only", "--monitor-only");
        install.Code.Should().Be(0, install.ToString());
        install.Stdout.Should().Contain("monitor only");
        (await ConfigGetAsync(layout, "allow")).Should().Be("none");

        (await RunScriptAsync(script, "--prefix", prefix, "--no-start")).Code.Should().Be(0);
        (await ConfigGetAsync(layout, "allow")).Should().Be("none", "an upgrade without --allow keeps what the owner chose");

        using var admin = await _core.ClientAsync();
        var command = $"{layout.Binary} run --config {layout.Config}";
        await using var node = StartPrinted(command, Guid.NewGuid().ToString("N"));
        var id = (await OnlineAsync(admin, "watch-only", node)).Id;
        await CoreInstance.SetCapabilitiesAsync(admin, id, new Dictionary<string, bool> { ["exec"] = true, ["shell"] = true, ["files"] = true, ["docker"] = true, ["forward"] = true });
        var view = await Eventually.ValueAsync(async () =>
        {
            var v = await CoreInstance.GetJsonAsync<CapabilitiesView>(admin, $"/api/v1/nodes/{id}/capabilities");
            return v.Capabilities.All(c => c.AllowedByNode is not null) ? v : null;
        }, TimeSpan.FromSeconds(10), "allow list reported");
        view.Capabilities.Should().OnlyContain(c => c.Enabled && c.AllowedByNode == false && !c.Usable,
            "the admin's switch cannot open the server owner's lock");
    }

    [Fact]
    public async Task An_upgrade_turns_an_older_node_json_into_node_toml_keeping_every_setting_and_the_node_still_enrolls()
    {
        var script = await _core.Http.GetStringAsync("/install.sh");
        var prefix = Path.Combine(_work, "server");
        var layout = new Layout(prefix);
        var key = await _core.EnrollmentKeyAsync();
        // What an install before node.toml left: the key in the config, every kind of setting the owner set.
        Directory.CreateDirectory(Path.GetDirectoryName(layout.LegacyConfig)!);
        await File.WriteAllTextAsync(layout.LegacyConfig, $$"""
            {
              "core": "{{_core.Url}}",
              "key": "{{key}}",
              "name": "from-json",
              "dataDir": "{{layout.DataDir}}",
              "allow": ["files", "forward"],
              "sampleIntervalMs": 2000,
              "fileRoots": ["/srv/www", "/var/log"],
              "fileSpecialModes": true,
              "forwardTargets": {"allow": ["127.0.0.0/8", "::1"], "deny": ["10.0.0.0/8"]},
              "forwardPrivilegedPorts": true,
              "udpMaxSessions": 4000,
              "udpMaxSessionsPerSource": 64
            }
            """);
        File.SetUnixFileMode(layout.LegacyConfig, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var upgrade = await RunScriptAsync(script, "--prefix", prefix, "--no-start");

        upgrade.Code.Should().Be(0, upgrade.ToString());
        upgrade.Stdout.Should().Contain("converting " + layout.LegacyConfig).And.Contain("keeping the allow list in " + layout.Config + ": files,forward");
        File.Exists(layout.LegacyConfig).Should().BeFalse();
        File.Exists(layout.LegacyConfig + ".bak").Should().BeTrue("the old file is moved aside, not lost");
        File.GetUnixFileMode(layout.Config).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await File.ReadAllTextAsync(layout.Config)).Should().NotContain(key, "the key moves out of the config");
        (await File.ReadAllTextAsync(layout.KeyFile)).Trim().Should().Be(key);
        var expected = new Dictionary<string, string>
        {
            ["core"] = _core.Url, ["name"] = "from-json", ["dataDir"] = layout.DataDir, ["allow"] = "files,forward", ["sampleIntervalMs"] = "2000",
            ["fileRoots"] = "/srv/www,/var/log", ["fileSpecialModes"] = "true", ["forwardTargets.allow"] = "127.0.0.0/8,::1",
            ["forwardTargets.deny"] = "10.0.0.0/8", ["forwardPrivilegedPorts"] = "true", ["udpMaxSessions"] = "4000", ["udpMaxSessionsPerSource"] = "64",
        };
        foreach (var (setting, value) in expected) (await ConfigGetAsync(layout, setting)).Should().Be(value, setting);

        // The unit (or script) of the old install still names node.json: the Node finds node.toml beside it and enrolls.
        using var admin = await _core.ClientAsync();
        await using var node = StartPrinted($"{layout.Binary} run --config {layout.LegacyConfig}", Guid.NewGuid().ToString("N"));
        var id = (await OnlineAsync(admin, "from-json", node)).Id;
        await Eventually.WaitAsync(() => Task.FromResult(!File.Exists(layout.KeyFile)), TimeSpan.FromSeconds(10), "the key file deleted", () => node.Output);
        var view = await Eventually.ValueAsync(async () =>
        {
            var v = await CoreInstance.GetJsonAsync<CapabilitiesView>(admin, $"/api/v1/nodes/{id}/capabilities");
            return v.Capabilities.All(c => c.AllowedByNode is not null) ? v : null;
        }, TimeSpan.FromSeconds(10), "allow list reported");
        view.Capabilities.Where(c => c.AllowedByNode == true).Select(c => c.Name).Should().BeEquivalentTo(["files", "forward"]);
        node.Output.Should().Contain("was converted to " + layout.Config);
    }

    [Fact]
    public async Task A_download_altered_on_the_way_is_refused_and_nothing_is_installed()
    {
        var script = await _core.Http.GetStringAsync("/install.sh");
        await using var proxy = new CorruptingProxy(_core.Url, "/download/sentinelx-node-" + Rid);
        var prefix = Path.Combine(_work, "server");

        var run = await RunScriptAsync(script, "--core", proxy.Url, "--prefix", prefix, "--no-start", "--key", await _core.EnrollmentKeyAsync());

        proxy.Corrupted.Should().Be(1, "the binary went through the proxy once");
        run.Code.Should().NotBe(0, run.ToString());
        run.Stderr.Should().Contain("checksum mismatch").And.Contain("nothing was installed");
        Directory.Exists(prefix).Should().BeFalse("nothing is written before the checksum is verified");
    }

    [Fact]
    public async Task Uninstall_removes_what_the_install_put_there_and_nothing_else()
    {
        var script = await _core.Http.GetStringAsync("/install.sh");
        var prefix = Path.Combine(_work, "server");
        var layout = new Layout(prefix);
        var unrelated = Path.Combine(prefix, "etc", "hostname");
        Directory.CreateDirectory(Path.GetDirectoryName(unrelated)!);
        await File.WriteAllTextAsync(unrelated, "web-1\n");
        (await RunScriptAsync(script, "--prefix", prefix, "--no-start", "--key", await _core.EnrollmentKeyAsync())).Code.Should().Be(0);
        await File.WriteAllTextAsync(Path.Combine(layout.DataDir, "identity.json"), "{}");

        var uninstall = await RunScriptAsync(script, "--uninstall", "--prefix", prefix);

        uninstall.Code.Should().Be(0, uninstall.ToString());
        uninstall.Stdout.Should().Contain("removing " + layout.Binary).And.Contain("removing " + layout.Config).And.Contain("removing " + layout.DataDir);
        Directory.EnumerateFileSystemEntries(prefix, "*", SearchOption.AllDirectories).Should().BeEquivalentTo([Path.Combine(prefix, "etc"), unrelated]);

        var again = await RunScriptAsync(script, "--uninstall", "--prefix", prefix);
        again.Code.Should().Be(0, again.ToString());
        again.Stdout.Should().Contain("nothing to remove");
    }

    [Fact]
    public async Task Downloads_serve_the_binary_with_its_checksum_and_say_which_build_is_missing()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Binaries.Node)));

        (await _core.Http.GetStringAsync($"/download/sentinelx-node-{Rid}.sha256")).Should().Be($"{expected}  sentinelx-node\n");
        using (var binary = await _core.Http.GetAsync($"/download/sentinelx-node-{Rid}"))
        {
            binary.StatusCode.Should().Be(HttpStatusCode.OK);
            binary.Headers.ETag!.Tag.Should().Be($"\"{expected}\"");
            Convert.ToHexStringLower(SHA256.HashData(await binary.Content.ReadAsByteArrayAsync())).Should().Be(expected);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/download/sentinelx-node-{Rid}"))
        {
            request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 3);
            using var head = await _core.Http.SendAsync(request);
            head.StatusCode.Should().Be(HttpStatusCode.PartialContent, "an interrupted download can resume");
            (await head.Content.ReadAsByteArrayAsync()).Should().Equal(0x7f, (byte)'E', (byte)'L', (byte)'F');
        }

        foreach (var path in new[] { $"/download/sentinelx-node-{MissingRid}", $"/download/sentinelx-node-{MissingRid}.sha256" })
        {
            using var missing = await _core.Http.GetAsync(path);
            missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
            missing.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            var problem = JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement;
            problem.GetProperty("detail").GetString().Should().Be($"no Node binary for {MissingRid} has been built; run packaging/build-node.sh --rid {MissingRid}");
        }

        using var unknown = await _core.Http.GetAsync("/download/sentinelx-node-win-x64.exe");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        unknown.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    private sealed record Layout(string Prefix)
    {
        public string Binary => Path.Combine(Prefix, "usr/local/bin/sentinelx-node");
        public string Config => Path.Combine(Prefix, "etc/sentinelx/node.toml");
        public string LegacyConfig => Path.Combine(Prefix, "etc/sentinelx/node.json");
        public string KeyFile => Path.Combine(DataDir, "enrollment.key");
        public string DataDir => Path.Combine(Prefix, "var/lib/sentinelx-node");
    }

    /// <summary>One setting of the installed node.toml, as the installed Node reads it.</summary>
    private static async Task<string?> ConfigGetAsync(Layout layout, string key)
    {
        var info = new ProcessStartInfo(layout.Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "config", "get", key, "--config", layout.Config }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().BeOneOf([0, 1], stderr);
        return process.ExitCode == 0 ? stdout.TrimEnd('\n') : null;
    }

    private sealed record ScriptRun(int Code, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {Code}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs the script the way the install line does: piped into <c>bash -s -- ARGS</c>.</summary>
    private async Task<ScriptRun> RunScriptAsync(string script, params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _work,
        };
        info.ArgumentList.Add("-s");
        info.ArgumentList.Add("--");
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var bash = Process.Start(info)!;
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await bash.WaitForExitAsync(timeout.Token);
        return new ScriptRun(bash.ExitCode, await stdout, await stderr);
    }

    private ManagedProcess StartPrinted(string command, string machineId)
    {
        var words = command.Split(' ');
        return ManagedProcess.Start(words[0], words[1..], _work, new Dictionary<string, string> { ["SENTINELX_NODE_MACHINE_ID"] = machineId });
    }

    private async Task<NodeView> OnlineAsync(HttpClient viewer, string name, ManagedProcess node)
    {
        NodeView? online = null;
        await Eventually.WaitAsync(async () =>
        {
            online = (await CoreInstance.GetJsonAsync<List<NodeView>>(viewer, "/api/v1/nodes")).SingleOrDefault(n => n.Name == name && n.Online);
            return online is not null;
        }, TimeSpan.FromSeconds(30), $"{name} online", () => _core.Output + node.Output);
        return online!;
    }

    /// <summary>An HTTP proxy in front of the Core that flips one byte of one download, as a bad mirror or a tampering network would.</summary>
    private sealed class CorruptingProxy : IAsyncDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly HttpClient _upstream;
        private readonly string _corruptPath;
        private readonly Task _loop;
        private int _corrupted;

        public CorruptingProxy(string upstream, string corruptPath)
        {
            _upstream = new HttpClient { BaseAddress = new Uri(upstream) };
            _corruptPath = corruptPath;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
            }

            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public int Corrupted => Volatile.Read(ref _corrupted);

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                using var response = await _upstream.GetAsync(context.Request.RawUrl);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (context.Request.Url!.AbsolutePath == _corruptPath && body.Length > 0)
                {
                    body[body.Length / 2] ^= 0xff;
                    Interlocked.Increment(ref _corrupted);
                }

                context.Response.StatusCode = (int)response.StatusCode;
                context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _loop;
            _listener.Close();
            _upstream.Dispose();
        }
    }
}
