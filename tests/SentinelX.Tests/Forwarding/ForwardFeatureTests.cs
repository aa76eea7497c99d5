using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Forwarding;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Protocol;
using Xunit;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding;

/// <summary>forward.sync and forward.stats over a real loopback WebSocket, with a test peer in the Core's place.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ForwardFeatureTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _session = new();
    private readonly string _data = TempDir();
    private readonly TaskCompletionSource<ForwardStatsReport> _stats = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebSocket _coreSocket = null!;
    private WebSocket _nodeSocket = null!;
    private ForwardEngine? _engine;

    public async Task InitializeAsync() => (_coreSocket, _nodeSocket) = await LoopbackWebSockets.CreatePairAsync();

    public async Task DisposeAsync()
    {
        await _session.CancelAsync();
        if (_engine is not null) await _engine.DisposeAsync();
        _coreSocket.Dispose();
        _nodeSocket.Dispose();
        _session.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task The_node_refuses_forward_sync_when_its_own_allow_list_lacks_it()
    {
        await using var core = await ConnectAsync(allowForward: false);
        var act = () => core.RequestAsync(Methods.ForwardSync, new ForwardSyncParams { Placements = [Direct("r1", FreeTcpPort(), "127.0.0.1:9")] },
            ProtocolJsonContext.Default.ForwardSyncParams, ProtocolJsonContext.Default.ForwardSyncResult);

        var error = (await act.Should().ThrowAsync<JsonRpcException>()).Which;
        error.Code.Should().Be(JsonRpcErrorCodes.CapabilityForbidden);
        File.Exists(Path.Combine(_data, "forwards", "placements.json")).Should().BeFalse();
    }

    [Fact]
    public async Task Sync_applies_the_rules_and_stats_follow_every_few_seconds()
    {
        await using var core = await ConnectAsync(allowForward: true);
        await using var echo = new TcpTestServer();
        var port = FreeTcpPort();
        var result = await core.RequestAsync(Methods.ForwardSync, new ForwardSyncParams { Placements = [Direct("r1", port, echo.Endpoint)] },
            ProtocolJsonContext.Default.ForwardSyncParams, ProtocolJsonContext.Default.ForwardSyncResult);
        result.Placements.Should().ContainSingle().Which.Status.Should().Be(ForwardStatuses.Active);

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            (await ForwardEngineTcpTests.RoundTripAsync(client, "stats")).Should().Be("stats");
        }

        var report = await _stats.Task.WaitAsync(TimeSpan.FromSeconds(8));
        var stats = report.Placements.Should().ContainSingle().Which;
        stats.RuleId.Should().Be("r1");
        stats.BytesIn.Should().Be(5);
        stats.ConnectionsTotal.Should().Be(1);
    }

    private async Task<JsonRpcPeer> ConnectAsync(bool allowForward)
    {
        var allow = Capabilities.All.Where(c => allowForward || c != Capabilities.Forward);
        var settings = new NodeSettings
        {
            Core = new Uri("http://127.0.0.1:1"),
            DataDir = _data,
            Allow = new HashSet<string>(allow, StringComparer.Ordinal),
            ForwardTargets = ForwardTestKit.AllowLoopback,
        };
        _engine = new ForwardEngine(settings);
        await _engine.StartAsync(CancellationToken.None);
        var context = new SessionContext(settings, new StreamDialer(settings.Core, "n1", "secret"), _session.Token);
        var nodeMethods = new JsonRpcMethods();
        new ForwardFeature(_engine).Register(nodeMethods, context);
        var node = new JsonRpcPeer(_nodeSocket, nodeMethods);
        context.Peer = node;
        var core = new JsonRpcPeer(_coreSocket, new JsonRpcMethods()
            .OnNotification(Methods.ForwardStats, ProtocolJsonContext.Default.ForwardStatsReport, (report, _) =>
            {
                // The first report may come before the test's connection; wait for one that counts it.
                if (report.Placements.Any(p => p.ConnectionsTotal > 0)) _stats.TrySetResult(report);
                return ValueTask.CompletedTask;
            }));
        _ = node.RunAsync(_session.Token);
        _ = core.RunAsync(_session.Token);
        return core;
    }
}
