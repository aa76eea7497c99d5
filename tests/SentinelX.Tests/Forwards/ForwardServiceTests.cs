using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Protocol;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>
/// The service with a real database and a real Node session over a loopback WebSocket, the Node's
/// side answering <c>forward.sync</c> as told: what is pushed, what a bind error undoes, what
/// <c>forward.stats</c> changes.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ForwardServiceTests : IAsyncLifetime
{
    private static readonly AuditActor Actor = new("test-operator", "user", "127.0.0.1");
    private readonly SqliteDatabases _databases = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ForwardSyncParams> _syncs = new();
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "sentinelx-fwd-" + Guid.NewGuid().ToString("N")[..12]);
    private Func<ForwardSyncParams, ForwardSyncResult> _answer = Active;
    private WebSocket _coreSocket = null!;
    private WebSocket _nodeSocket = null!;
    private JsonRpcPeer _nodePeer = null!;
    private SampleWriter _writer = null!;
    private NodeSession _session = null!;
    private ForwardService _service = null!;
    private NodeRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        var options = await _databases.CreateAsync();
        await using (var db = SentinelDb.Create(options)) await db.Database.MigrateAsync();
        var factory = new TestDbFactory(options);
        var time = TimeProvider.System;
        _registry = ForwardTestNodes.Registry();
        var node = _registry.Find("a")!;
        node.Enabled = new HashSet<string> { Capabilities.Forward };
        node.Allowed = new HashSet<string> { Capabilities.Forward };

        var live = new ForwardLive();
        var traffic = new ForwardTrafficStore(factory);
        var ingest = new ForwardStatsIngest(live, traffic, time, NullLogger<ForwardStatsIngest>.Instance);
        var pusher = new ForwardPusher(_registry, live, new ForwardCa(_dataDir, time), ingest, NullLogger<ForwardPusher>.Instance);
        var audit = new AuditLog(factory, time, NullLogger<AuditLog>.Instance);
        _service = new ForwardService(_registry, factory, audit, time, live, new ForwardValidator(_registry), pusher, ingest, traffic);

        (_coreSocket, _nodeSocket) = await LoopbackWebSockets.CreatePairAsync();
        var scopes = new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();
        _writer = new SampleWriter(factory, NullLogger<SampleWriter>.Instance);
        _session = new NodeSession(node, _coreSocket, _writer, scopes, NullLogger.Instance, time, [_service]);
        node.Attach(_session);
        _ = _session.RunAsync(_stop.Token);
        _nodePeer = new JsonRpcPeer(_nodeSocket, new JsonRpcMethods().OnRequest(Methods.ForwardSync, ProtocolJsonContext.Default.ForwardSyncParams,
            ProtocolJsonContext.Default.ForwardSyncResult, (request, _) =>
            {
                _syncs.Enqueue(request);
                return ValueTask.FromResult(_answer(request));
            }));
        _ = _nodePeer.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _session.DisposeAsync();
        await _nodePeer.DisposeAsync();
        _coreSocket.Dispose();
        _nodeSocket.Dispose();
        _stop.Dispose();
        _writer.Dispose();
        _service.Dispose();
        await _databases.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_created_rule_reaches_its_node_and_its_answer_becomes_the_status()
    {
        var result = await _service.CreateAsync(ForwardTestNodes.Direct("web", 10080, "10.0.0.5:80"), Actor);
        var view = result.Value;
        var problem = result.Failure;

        problem.Should().BeNull();
        view!.Status.Should().Be("active");
        _syncs.Should().ContainSingle();
        var sync = _syncs.Single();
        sync.Credentials.Should().BeNull("no hop uses TLS");
        var placement = sync.Placements.Should().ContainSingle().Subject;
        (placement.RuleId, placement.Name, placement.Protocol).Should().Be((view.Id, "web", "tcp"));
        placement.Listen.Should().Be(new ForwardListen { Port = 10080 });
        placement.Targets.Should().Equal("10.0.0.5:80");
    }

    [Fact]
    public async Task A_port_held_by_another_process_undoes_the_create_with_the_nodes_exact_message()
    {
        _answer = request => new ForwardSyncResult
        {
            Placements = [.. request.Placements.Select(p => new ForwardPlacementStats
            {
                RuleId = p.RuleId, Status = ForwardStatuses.Error, Error = $"port {p.Listen!.Port} already in use",
            })],
        };

        var result = await _service.CreateAsync(ForwardTestNodes.Direct("web", 10080, "10.0.0.5:80"), Actor);
        var view = result.Value;
        var problem = result.Failure;

        view.Should().BeNull();
        problem!.Status.Should().Be(409);
        problem.Detail.Should().Be("port 10080 already in use");
        (await _service.ListAsync()).Should().BeEmpty();
        // The Node is told again, now without the refused rule.
        await WaitAsync(() => _syncs.Count >= 2);
        _syncs.Last().Placements.Should().BeEmpty();

        // Any other error is kept as the rule's status instead.
        _answer = request => new ForwardSyncResult
        {
            Placements = [.. request.Placements.Select(p => new ForwardPlacementStats { RuleId = p.RuleId, Status = ForwardStatuses.Error, Error = "target name did not resolve" })],
        };
        result = await _service.CreateAsync(ForwardTestNodes.Direct("web", 10080, "10.0.0.5:80"), Actor);
        view = result.Value;
        problem = result.Failure;
        problem.Should().BeNull();
        view!.Status.Should().Be("error");
        view.Error.Should().Be("target name did not resolve");
    }

    [Fact]
    public async Task Stats_from_the_node_move_the_counters_and_raise_changed()
    {
        var view = (await _service.CreateAsync(ForwardTestNodes.Direct("web", 10080, "10.0.0.5:80"), Actor)).Value;
        var changed = 0;
        _service.Changed += () => Interlocked.Increment(ref changed);

        await _nodePeer.NotifyAsync(Methods.ForwardStats, new ForwardStatsReport
        {
            Time = 1,
            Placements =
            [
                new ForwardPlacementStats { RuleId = view!.Id, Status = "active", BytesIn = 4096, BytesOut = 8192, ConnectionsActive = 2, ConnectionsTotal = 5 },
                new ForwardPlacementStats { RuleId = "someone-elses-rule", Status = "active", BytesIn = 1 },
            ],
        }, ProtocolJsonContext.Default.ForwardStatsReport);

        await WaitAsync(() => Volatile.Read(ref changed) > 0);
        var after = await _service.GetAsync(view.Id);
        after!.Stats.Should().Be(new ForwardStatsView(4096, 8192, 2, 5));
        after.MonthBytesIn.Should().Be(4096);
        after.MonthBytesOut.Should().Be(8192);
        (await _service.MonthsAsync(view.Id, 2))[0].Should().Match<ForwardMonth>(m => m.BytesIn == 4096 && m.BytesOut == 8192);
        var history = await _service.HistoryAsync(view.Id, TimeSpan.FromHours(1));
        history!.Points.Sum(p => p.BytesIn).Should().Be(4096);
    }

    [Fact]
    public async Task A_tls_hop_sends_the_node_its_certificate()
    {
        var c = _registry.Find("c")!;
        c.Enabled = new HashSet<string> { Capabilities.Forward };
        c.Allowed = new HashSet<string> { Capabilities.Forward };

        var result = await _service.CreateAsync(ForwardTestNodes.Direct("tls", 10443, "10.0.0.5:443") with
        {
            Chain = [new() { NodeId = "a" }, new() { NodeId = "c", Transport = "tls" }],
        }, Actor);
        var view = result.Value;
        var problem = result.Failure;

        problem.Should().BeNull();
        var sync = _syncs.Single();
        sync.Placements.Single().Next!.Transport.Should().Be("tls");
        sync.Credentials!.CertificatePem.Should().StartWith("-----BEGIN CERTIFICATE-----");
        // The exit is offline here: the rule waits for it.
        view!.Status.Should().Be("pending");
        view.Placements.Should().Contain(p => p.NodeId == "c" && p.Status == "pending" && p.Error == "node offline");
    }

    private static ForwardSyncResult Active(ForwardSyncParams request) => new()
    {
        Placements = [.. request.Placements.Select(p => new ForwardPlacementStats { RuleId = p.RuleId, Status = ForwardStatuses.Active })],
    };

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        condition().Should().BeTrue();
    }
}
