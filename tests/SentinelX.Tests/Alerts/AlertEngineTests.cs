using System.Net.WebSockets;
using System.Text.Json;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Alerts;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.Alerts;

/// <summary>The engine's decisions for each kind of condition, on a fake clock: one event per state change.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xunit disposes it through IAsyncLifetime.DisposeAsync")]
public sealed class AlertEngineTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-31T23:50:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecordingSink _sink = new();
    private readonly NodeRegistry _registry = new();
    private readonly SqliteDatabases _databases = new();
    private TestDbFactory _db = null!;
    private TrafficMeter _traffic = null!;
    private AlertEngine _engine = null!;
    private NodeState _node = null!;
    private long _seq;

    public async Task InitializeAsync()
    {
        // Only the traffic test reads the database (TrafficMeter's stored part); it migrates it itself.
        _db = new TestDbFactory(await _databases.CreateAsync());
        _traffic = new TrafficMeter(_db, _time, NullLogger<TrafficMeter>.Instance);
        _engine = new AlertEngine(_registry, _traffic, _time, _sink);
        _node = _registry.Add(new NodeRecord { Id = "n1", Name = "tokyo-1", MachineId = "m1", SecretHash = "", Tags = "prod,jp", LastSeenAt = 1 });
    }

    public async Task DisposeAsync() => await _databases.DisposeAsync();

    [Fact]
    public void A_held_metric_fires_once_after_its_time_and_resolves_once()
    {
        _engine.Load([Rule("cpu", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":80,"forSeconds":30}""")], []);

        for (var i = 0; i < 29; i++) Feed(cpu: 95);
        _sink.Changes.Should().BeEmpty("30 s have not passed");
        for (var i = 0; i < 60; i++) Feed(cpu: 95);
        Feed(cpu: 10);
        for (var i = 0; i < 30; i++) Feed(cpu: 5);

        _sink.Changes.Select(t => t.Change).Should().Equal(AlertChange.Fire, AlertChange.Resolve);
        var fired = _sink.Changes[0];
        fired.Facts.Value.Should().Be(95);
        fired.Facts.Threshold.Should().Be(80);
        fired.NodeName.Should().Be("tokyo-1");
        AlertText.Describe(fired.Facts, "en").Should().Be("CPU 95 % > 80 % for 30 s");
        AlertText.Describe(fired.Facts, "zh-CN").Should().Be("CPU 95 % > 80 %，持续 30 秒");
    }

    [Fact]
    public void A_dip_restarts_the_hold()
    {
        _engine.Load([Rule("cpu", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":80,"forSeconds":10}""")], []);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 8; i++) Feed(cpu: 95);
            Feed(cpu: 50);
        }

        _sink.Changes.Should().BeEmpty();
    }

    [Fact]
    public void An_averaged_metric_waits_for_a_full_window_and_uses_the_mean()
    {
        _engine.Load([Rule("load", """{"kind":"metric","metric":"memPercent","op":">","threshold":50,"avgMinutes":2}""")], []);
        // Alternating 40 % and 70 %: the mean is 55 %, above 50 %, though half the samples are below.
        for (var i = 0; i < 150; i++) Feed(memPercent: i % 2 == 0 ? 40 : 70);
        _sink.Changes.Should().ContainSingle().Which.Change.Should().Be(AlertChange.Fire);
        _sink.Changes[0].Facts.Value.Should().BeApproximately(55, 1);
        for (var i = 0; i < 200; i++) Feed(memPercent: 30);
        _sink.Changes.Select(t => t.Change).Should().Equal(AlertChange.Fire, AlertChange.Resolve);
    }

    [Fact]
    public void Replayed_old_samples_do_not_fire()
    {
        _engine.Load([Rule("cpu", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":80,"forSeconds":0}""")], []);
        var old = _time.GetUtcNow() - TimeSpan.FromHours(1);
        _engine.OnSamples(_node, [Sample(old, cpu: 99)]);
        _sink.Changes.Should().BeEmpty();
    }

    [Fact]
    public void Scope_by_tag_and_by_id_choose_the_nodes()
    {
        var other = _registry.Add(new NodeRecord { Id = "n2", Name = "paris", MachineId = "m2", SecretHash = "", Tags = "dev" });
        _engine.Load(
        [
            Rule("by-tag", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":1}""", """{"tags":["jp"]}"""),
            Rule("by-id", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":1}""", """{"nodeIds":["n2"]}"""),
        ], []);
        Feed(cpu: 50);
        _engine.OnSamples(other, [Sample(_time.GetUtcNow(), cpu: 50)]);
        _sink.Changes.Select(c => (c.Rule.Id, c.NodeId)).Should().BeEquivalentTo([("by-tag", "n1"), ("by-id", "n2")]);
    }

    [Fact]
    public async Task Offline_fires_after_its_time_from_the_last_message_and_resolves_on_reconnect()
    {
        _engine.Load([Rule("down", """{"kind":"offline","forSeconds":30}""")], []);
        _node.LastSeenAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 29; i++) Tick();
        _sink.Changes.Should().BeEmpty();
        Tick();
        Tick();
        _sink.Changes.Should().ContainSingle().Which.Facts.Value.Should().Be(30);

        using var socket = WebSocket.CreateFromStream(Stream.Null, new WebSocketCreationOptions { IsServer = true });
        // The session is never run: the engine only asks whether the Node has one.
        await using var session = new NodeSession(_node, socket, null!, null!, NullLogger.Instance, _time, []);
        _node.Attach(session);
        Tick();
        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Resolve);
    }

    [Fact]
    public void A_node_that_never_connected_is_not_offline()
    {
        var fresh = _registry.Add(new NodeRecord { Id = "n3", Name = "new", MachineId = "m3", SecretHash = "" });
        _engine.Load([Rule("down", """{"kind":"offline","forSeconds":5}""", """{"nodeIds":["n3"]}""")], []);
        for (var i = 0; i < 20; i++) Tick();
        _sink.Changes.Should().BeEmpty();
        fresh.Online.Should().BeFalse();
    }

    [Fact]
    public void Expiry_fires_within_its_days_and_resolves_when_renewed()
    {
        _engine.Load([Rule("renew", """{"kind":"expiry","days":7}""")], []);
        _node.Billing = NodeBilling.None with { ExpiresAt = _time.GetUtcNow().AddDays(10).ToUnixTimeMilliseconds() };
        Tick();
        _sink.Changes.Should().BeEmpty();
        _time.Advance(TimeSpan.FromDays(3.5));
        Tick();
        _sink.Changes.Should().ContainSingle().Which.Facts.Value.Should().Be(7);
        _node.Billing = _node.Billing with { ExpiresAt = _time.GetUtcNow().AddDays(40).ToUnixTimeMilliseconds() };
        Tick();
        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Resolve);
    }

    [Fact]
    public void Repeat_sends_again_only_after_its_minutes()
    {
        _engine.Load([Rule("cpu", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":80}""", repeat: 10)], []);
        Feed(cpu: 99);
        for (var i = 0; i < 9 * 60; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            _engine.Tick();
        }

        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire);
        for (var i = 0; i < 61; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            _engine.Tick();
        }

        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Repeat);
    }

    [Fact]
    public void An_event_open_before_a_restart_is_neither_repeated_nor_lost()
    {
        var rule = Rule("cpu", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":80}""");
        var open = new AlertEventRecord
        {
            RuleId = "cpu", RuleName = "cpu", NodeId = "n1", NodeName = "tokyo-1", Severity = "warning", State = AlertStates.Firing, Message = "",
            StartedAt = _time.GetUtcNow().AddMinutes(-5).ToUnixTimeMilliseconds(),
        };
        _engine.Load([rule], [open]);
        Feed(cpu: 99);
        _sink.Changes.Should().BeEmpty("it was already firing before the restart");
        Feed(cpu: 1);
        _sink.Changes.Should().ContainSingle().Which.Change.Should().Be(AlertChange.Resolve);
    }

    [Fact]
    public void Changing_a_rule_closes_what_it_had_open_without_notifying()
    {
        _engine.Load([Rule("cpu", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":80}""")], []);
        Feed(cpu: 99);
        _engine.Put(Rule("cpu", """{"kind":"metric","metric":"cpuPercent","op":">","threshold":90}"""));
        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Close);
        _engine.FiringCounts().Should().BeEmpty();
        Feed(cpu: 99);
        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Close, AlertChange.Fire);
        _engine.Remove("cpu");
        _sink.Changes[^1].Change.Should().Be(AlertChange.Close);
    }

    [Fact]
    public void A_forward_in_error_fires_and_active_resolves_while_pending_changes_nothing()
    {
        _engine.Load([Rule("fwd", """{"kind":"forward","forwardId":"f1"}""")], []);
        _engine.OnForwardState("f1", "web", "n1", "error", "bind: address in use");
        _engine.OnForwardState("f1", "web", "n1", "pending", null);
        _engine.OnForwardState("f1", "web", "n1", "quota-blocked", null);
        _engine.OnForwardState("f2", "other", "n1", "error", null);
        _engine.OnForwardState("f1", "web", "n1", "active", null);
        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Resolve);
        AlertText.Describe(_sink.Changes[0].Facts, "en").Should().Be("forward web is error: bind: address in use");
    }

    [Fact]
    public void A_container_that_stops_or_goes_missing_fires()
    {
        _engine.Load([Rule("db", """{"kind":"container","name":"postgres"}""")], []);
        _engine.WatchedContainers(_node).Should().Equal("postgres");
        _engine.OnContainers(_node, new Dictionary<string, string> { ["postgres"] = "running" });
        _engine.OnContainers(_node, new Dictionary<string, string> { ["postgres"] = "exited" });
        _engine.OnContainers(_node, new Dictionary<string, string>());
        _engine.OnContainers(_node, new Dictionary<string, string> { ["postgres"] = "running" });
        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Resolve);
    }

    [Fact]
    public async Task Traffic_fires_at_its_byte_count_and_resolves_when_the_month_turns()
    {
        await using (var db = _db.CreateDbContext()) await db.Database.MigrateAsync();
        _node.TrafficQuotaBytes = 1_000_000_000; // 1 GB, reset on the 1st
        _engine.Load([Rule("quota", """{"kind":"traffic","percent":90,"direction":"sum"}""")], []);

        // The stored part of the month is read in the background: the first sample only asks for it.
        Feed(rxTotal: 0, txTotal: 0);
        await WaitForBaselineAsync();
        Feed(rxTotal: 500_000_000, txTotal: 399_000_000);
        _sink.Changes.Should().BeEmpty("899 MB is 89.9 %");
        Feed(rxTotal: 500_000_000, txTotal: 400_000_000);
        _sink.Changes.Should().ContainSingle().Which.Facts.Value.Should().Be(90);

        // 2027-01-01 00:00 UTC: a new period, nothing used yet.
        _time.SetUtcNow(DateTimeOffset.Parse("2027-01-01T00:00:30Z", System.Globalization.CultureInfo.InvariantCulture));
        Feed(rxTotal: 500_000_000, txTotal: 400_000_000);
        await WaitForBaselineAsync();
        Feed(rxTotal: 500_000_100, txTotal: 400_000_000);
        _sink.Changes.Select(c => c.Change).Should().Equal(AlertChange.Fire, AlertChange.Resolve);
    }

    [Theory]
    [InlineData("""{"kind":"metric","metric":"cpuPercent","op":">=","threshold":1}""", "condition.op")]
    [InlineData("""{"kind":"metric","metric":"../../etc","op":">","threshold":1}""", "condition.metric")]
    [InlineData("""{"kind":"metric","metric":"cpuPercent","op":">","threshold":"80"}""", "condition.threshold")]
    [InlineData("""{"kind":"metric","metric":"cpuPercent","op":">","threshold":1e308}""", "condition.threshold")]
    [InlineData("""{"kind":"metric","metric":"cpuPercent","op":">","threshold":1,"forSeconds":1.5}""", "condition.forSeconds")]
    [InlineData("""{"kind":"metric","metric":"cpuPercent","op":">","threshold":1,"forSeconds":5,"avgMinutes":5}""", "condition.avgMinutes")]
    [InlineData("""{"kind":"offline","forSeconds":-1}""", "condition.forSeconds")]
    [InlineData("""{"kind":"traffic","percent":0}""", "condition.percent")]
    [InlineData("""{"kind":"traffic","percent":90,"direction":"both"}""", "condition.direction")]
    [InlineData("""{"kind":"probe","probeId":"a/b"}""", "condition.probeId")]
    [InlineData("""{"kind":"container","name":"-rm\r\n"}""", "condition.name")]
    [InlineData("""{"kind":"drop table"}""", "condition.kind")]
    [InlineData("""[]""", "condition")]
    public void Hostile_conditions_are_refused_with_the_field(string json, string field)
    {
        var errors = new Dictionary<string, string[]>();
        using var document = JsonDocument.Parse(json);
        AlertCondition.Parse(document.RootElement, errors).Should().BeNull();
        errors.Should().ContainKey(field);
    }

    [Theory]
    [InlineData("""{"name":"","condition":{"kind":"offline"}}""", "name")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"severity":"fatal"}""", "severity")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"scope":{"nodeIds":["a,b"]}}""", "scope.nodeIds")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"scope":{}}""", "scope")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"channels":["../x"]}""", "channels")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"repeatMinutes":-5}""", "repeatMinutes")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"enabled":"yes"}""", "enabled")]
    [InlineData("""{"name":"x"}""", "condition")]
    public void Hostile_rules_are_refused_with_the_field(string json, string field)
    {
        var errors = new Dictionary<string, string[]>();
        using var document = JsonDocument.Parse(json);
        AlertRuleInput.Parse(document.RootElement, errors).Should().BeNull();
        errors.Should().ContainKey(field);
    }

    private async Task WaitForBaselineAsync()
    {
        for (var i = 0; i < 200 && !_traffic.TryGet(_node, out _); i++) await Task.Delay(10);
        _traffic.TryGet(_node, out _).Should().BeTrue("the month's stored traffic was read");
    }

    private void Tick()
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        _engine.Tick();
    }

    private void Feed(double cpu = 1, double memPercent = 10, long rxTotal = 0, long txTotal = 0)
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        var sample = Sample(_time.GetUtcNow(), cpu, memPercent, rxTotal, txTotal);
        _node.Offer(sample);
        _engine.OnSamples(_node, [sample]);
    }

    private MetricSample Sample(DateTimeOffset at, double cpu = 1, double memPercent = 10, long rxTotal = 0, long txTotal = 0) => new()
    {
        Seq = ++_seq,
        Timestamp = at,
        CpuPercent = cpu,
        MemTotalBytes = 1000,
        MemUsedBytes = (long)(memPercent * 10),
        NetRxTotal = rxTotal,
        NetTxTotal = txTotal,
    };

    private static AlertRule Rule(string id, string condition, string scope = """{"all":true}""", int repeat = 0) =>
        AlertRule.From(new AlertRuleRecord
        {
            Id = id, Name = id, ScopeJson = scope, ConditionJson = condition, Severity = "warning", Channels = "c1", RepeatMinutes = repeat,
        });

    private sealed class RecordingSink : IAlertSink
    {
        public List<AlertTransition> Changes { get; } = [];

        public void Post(AlertTransition transition)
        {
            lock (Changes) Changes.Add(transition);
        }
    }
}
