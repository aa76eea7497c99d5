using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Probes;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Protocol;
using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>probe.sync over a real loopback WebSocket, with a test peer in the Core's place.</summary>
[SupportedOSPlatform("linux")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ProbeFeatureTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _session = new();
    private readonly string _data = Directory.CreateTempSubdirectory("sx-probe-sync-").FullName;
    private WebSocket _coreSocket = null!;
    private WebSocket _nodeSocket = null!;
    private ProbeRunner? _runner;

    public async Task InitializeAsync() => (_coreSocket, _nodeSocket) = await LoopbackWebSockets.CreatePairAsync();

    public async Task DisposeAsync()
    {
        await _session.CancelAsync();
        if (_runner is not null) await _runner.DisposeAsync();
        _coreSocket.Dispose();
        _nodeSocket.Dispose();
        _session.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_set_is_applied_and_kept_on_disk_on_a_monitor_only_node()
    {
        await using var core = Connect(probes: true);
        var result = await SyncAsync(core, Probe("web", "tcp", "127.0.0.1:9"), Probe("ping", "icmp", "127.0.0.1"));

        result.Should().Be(new ProbeSyncResult { Running = 2, Enabled = true });
        _runner!.Count.Should().Be(2);
        File.ReadAllText(Path.Combine(_data, ProbeRunner.FileName)).Should().Contain("\"web\"").And.Contain("\"ping\"");
    }

    [Fact]
    public async Task A_bad_set_is_refused_with_the_reason_and_the_old_set_keeps_running()
    {
        await using var core = Connect(probes: true);
        await SyncAsync(core, Probe("web", "tcp", "127.0.0.1:9"));

        var act = () => SyncAsync(core, Probe("web", "tcp", "127.0.0.1:9"), Probe("evil", "http", "file:///etc/shadow"));
        var error = (await act.Should().ThrowAsync<JsonRpcException>()).Which;
        error.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
        error.Message.Should().Be("probe evil: target must be an http:// or https:// URL");

        var tooMany = () => SyncAsync(core, [.. Enumerable.Range(0, 201).Select(i => Probe($"p{i}", "icmp", "127.0.0.1"))]);
        (await tooMany.Should().ThrowAsync<JsonRpcException>()).Which.Message.Should().Be("at most 200 probes per node");

        _runner!.Count.Should().Be(1);
        File.ReadAllText(Path.Combine(_data, ProbeRunner.FileName)).Should().NotContain("evil");
    }

    [Fact]
    public async Task A_node_that_turned_probing_off_answers_enabled_false_and_runs_nothing()
    {
        await using var core = Connect(probes: false);
        var result = await SyncAsync(core, Probe("web", "tcp", "127.0.0.1:9"));

        result.Should().Be(new ProbeSyncResult { Running = 0, Enabled = false });
        _runner!.Count.Should().Be(0);
        File.Exists(Path.Combine(_data, ProbeRunner.FileName)).Should().BeFalse();
    }

    [Fact]
    public void Probing_is_on_by_default_and_each_way_of_turning_it_off_works()
    {
        var host = new NodeHost(Path.Combine(_data, "none.toml"), IsRoot: false, Home: _data);
        string[] required = ["--core", "http://127.0.0.1:1", "--key", "k", "--data", _data];
        bool Load(string[] flags, Dictionary<string, string>? env = null) =>
            NodeSettingsLoader.Load([.. required, .. flags], n => env?.GetValueOrDefault(n), host).Settings!.Probes;

        Load([]).Should().BeTrue();
        Load(["--no-probes"]).Should().BeFalse();
        Load(["--probes=false"]).Should().BeFalse();
        Load([], new() { ["SENTINELX_NODE_PROBES"] = "false" }).Should().BeFalse();
        Load(["--probes"], new() { ["SENTINELX_NODE_PROBES"] = "false" }).Should().BeTrue("a flag wins over the variable");

        var toml = Path.Combine(_data, "node.toml");
        File.WriteAllText(toml, "probes = false\n");
        Load(["--config", toml]).Should().BeFalse();
        File.WriteAllText(toml, "probes = \"nope\"\n");
        NodeSettingsLoader.Load([.. required, "--config", toml], _ => null, host).Errors.Should().ContainSingle().Which.Should().Contain("probes");
    }

    private JsonRpcPeer Connect(bool probes)
    {
        var settings = new NodeSettings { Core = new Uri("http://127.0.0.1:1"), DataDir = _data, Probes = probes };
        // A fake check: these tests are about the set, not the network.
        _runner = new ProbeRunner(settings, (_, _) => Task.FromResult(new ProbeOutcome(true, 1)));
        var context = new SessionContext(settings, new StreamDialer(settings.Core, "n1", "secret"), _session.Token);
        var nodeMethods = new JsonRpcMethods();
        new ProbeFeature(_runner).Register(nodeMethods, context);
        var node = new JsonRpcPeer(_nodeSocket, nodeMethods);
        context.Peer = node;
        var core = new JsonRpcPeer(_coreSocket, new JsonRpcMethods());
        _ = node.RunAsync(_session.Token);
        _ = core.RunAsync(_session.Token);
        return core;
    }

    private static Task<ProbeSyncResult> SyncAsync(JsonRpcPeer core, params ProbeDefinition[] probes) =>
        core.RequestAsync(Methods.ProbeSync, new ProbeSyncParams { Probes = probes }, ProtocolJsonContext.Default.ProbeSyncParams, ProtocolJsonContext.Default.ProbeSyncResult);

    private static ProbeDefinition Probe(string id, string type, string target) => new() { Id = id, Type = type, Target = target, IntervalSeconds = 60 };
}
