using System.Collections.Concurrent;
using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node;
using SentinelX.Node.Config;
using SentinelX.Node.Connection;
using SentinelX.Node.Logging;
using SentinelX.Node.Outbox;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Node;

/// <summary>The whole agent in-process against a fake Core on a real socket.</summary>
[SupportedOSPlatform("linux")]
public sealed class NodeAgentTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _data = Directory.CreateTempSubdirectory("sx-agent-").FullName;
    private readonly ConcurrentQueue<string> _log = new();

    public NodeAgentTests() => Log.LineWritten += _log.Enqueue;

    public void Dispose()
    {
        Log.LineWritten -= _log.Enqueue;
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Enrolls_connects_sends_samples_from_the_enrolled_seq_and_trims_acked_ones()
    {
        await using var core = await FakeCore.StartAsync();
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token, name: "web-1");

        await WaitUntil(() => core.State.StoredCopy().Count >= 6 && core.State.Heartbeats >= 1);
        var info = await core.GetSystemInfoAsync();
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        var state = core.State;
        state.Enrollments.Should().Be(1);
        state.LastEnroll!.MachineId.Should().Be(File.ReadAllText("/etc/machine-id").Trim());
        state.LastEnroll.Name.Should().Be("web-1");
        state.LastEnroll.ProtocolVersion.Should().Be(ProtocolInfo.Version);

        var identityPath = Path.Combine(_data, "identity.json");
        File.GetUnixFileMode(identityPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var identity = NodeIdentity.Load(_data)!;
        state.Nodes[identity.NodeId].Should().Be(identity.Secret);
        state.Upgrades.Should().Contain((identity.NodeId, "Bearer " + identity.Secret, "1"));

        state.Hellos.Should().ContainSingle();
        state.Hellos[0].System.Kernel.Should().Be(File.ReadAllText("/proc/sys/kernel/osrelease").Trim());
        state.Hellos[0].SampleIntervalMs.Should().Be(250);
        info.Hostname.Should().Be(Environment.MachineName);
        info.Arch.Should().Be("amd64");

        var stored = state.StoredCopy();
        stored[0].Should().Be(100, "the first seq after enrollment is the Core's NextSeq");
        stored.Should().Equal(Enumerable.Range(0, stored.Count).Select(i => 100L + i));
        state.BadBatch.Should().BeNull();
        state.Duplicates.Should().Be(0);

        // The acks reached the disk: a restarted Node would not send these again.
        using var outbox = SampleOutbox.Open(Path.Combine(_data, "outbox"));
        outbox.AckedSeq.Should().Be(state.LastStoredSeq);
    }

    [Fact]
    public async Task Samples_taken_while_the_core_is_down_arrive_in_order_without_duplicates_even_across_a_node_restart()
    {
        var state = new FakeCoreState();
        var core = await FakeCore.StartAsync(state);
        var port = core.Port;
        var url = core.Url;

        using var stop1 = new CancellationTokenSource();
        var first = StartAgent(url, stop1.Token);
        await WaitUntil(() => state.StoredCopy().Count >= 3);

        // The Core goes away; the Node keeps sampling to disk, then restarts itself while the Core is still down.
        await core.DisposeAsync();
        var beforeOutage = state.LastStoredSeq;
        await Task.Delay(1500);
        await stop1.CancelAsync();
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        using var stop2 = new CancellationTokenSource();
        var second = StartAgent(url, stop2.Token);
        await Task.Delay(1000);

        await using var restarted = await FakeCore.StartAsync(state, port);
        await WaitUntil(() => state.LastStoredSeq >= beforeOutage + 12);
        await stop2.CancelAsync();
        await second.WaitAsync(TimeSpan.FromSeconds(10));

        var stored = state.StoredCopy();
        stored.Should().Equal(Enumerable.Range(0, stored.Count).Select(i => 100L + i), "nothing lost, nothing twice, in order");
        state.Duplicates.Should().Be(0);
        state.Enrollments.Should().Be(1, "the restarted Node keeps its identity");
        using var outbox = SampleOutbox.Open(Path.Combine(_data, "outbox"));
        outbox.NextSeq.Should().BeGreaterThan(stored[^1]);
        (outbox.NextSeq - 1 - stored[^1]).Should().BeLessThan(4, "only samples taken in the last moments may still be unsent");
    }

    [Fact]
    public async Task A_core_that_forgot_the_node_answers_401_and_the_node_enrolls_again()
    {
        await using var core = await FakeCore.StartAsync();
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token);
        await WaitUntil(() => core.State.StoredCopy().Count >= 2);

        lock (core.State.Gate) core.State.Nodes.Clear();
        core.DropConnection();
        await WaitUntil(() => core.State.Enrollments == 2 && core.State.Hellos.Count == 2);
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        _log.Should().Contain(l => l.Contains("ERROR the Core rejected this node's identity (401", StringComparison.Ordinal));
        File.Exists(Path.Combine(_data, "identity.json.rejected")).Should().BeTrue();
        core.State.Duplicates.Should().Be(0);
    }

    [Fact]
    public async Task An_unanswered_heartbeat_drops_the_connection_and_the_node_reconnects()
    {
        await using var core = await FakeCore.StartAsync();
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token);
        await WaitUntil(() => core.State.StoredCopy().Count >= 2);

        core.State.AnswerHeartbeats = false;
        await WaitUntil(() => _log.Any(l => l.Contains("WARN disconnected: heartbeat unanswered for 5 s", StringComparison.Ordinal)));
        core.State.AnswerHeartbeats = true;
        await WaitUntil(() => core.State.Hellos.Count >= 2 && core.State.Heartbeats >= 2);
        var storedBefore = core.State.StoredCopy().Count;
        await WaitUntil(() => core.State.StoredCopy().Count > storedBefore + 2);
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        var stored = core.State.StoredCopy();
        stored.Should().Equal(Enumerable.Range(0, stored.Count).Select(i => 100L + i));
    }

    [Fact]
    public async Task A_revoked_node_logs_it_and_does_not_enroll_again()
    {
        await using var core = await FakeCore.StartAsync();
        core.State.Revoked = true;
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token);
        await WaitUntil(() => core.State.Upgrades.Count >= 2);
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        core.State.Enrollments.Should().Be(1);
        core.State.Hellos.Should().BeEmpty();
        _log.Should().Contain(l => l.Contains("ERROR the Core refused this node (403: revoked)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_the_cores_problem_detail()
    {
        await using var core = await FakeCore.StartAsync();
        core.State.Key = "the-right-key";
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token);
        await WaitUntil(() => _log.Any(l => l.Contains("enrollment refused", StringComparison.Ordinal)));
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        _log.Should().Contain(l => l.Contains("ERROR enrollment refused: 401 the enrollment key is not valid", StringComparison.Ordinal));
        File.Exists(Path.Combine(_data, "identity.json")).Should().BeFalse();
        core.State.Enrollments.Should().Be(0);
    }

    [Fact]
    public async Task Once_enrolled_the_node_removes_the_key_from_its_config_file_and_keeps_everything_else()
    {
        await using var core = await FakeCore.StartAsync();
        var config = Path.Combine(_data, "node.json");
        File.WriteAllText(config, $$"""
            {
              "core": "{{core.Url}}",
              "key": "enroll-key",
              "name": "web-1",
              "allow": ["exec"],
              "fileRoots": ["/srv"]
            }
            """);
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token, keyFile: config);

        await WaitUntil(() => core.State.Hellos.Count >= 1 && !File.ReadAllText(config).Contains("enroll-key", StringComparison.Ordinal));
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        var rewritten = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config)).RootElement;
        rewritten.TryGetProperty("key", out _).Should().BeFalse();
        rewritten.GetProperty("core").GetString().Should().Be(core.Url.ToString());
        rewritten.GetProperty("name").GetString().Should().Be("web-1");
        rewritten.GetProperty("allow")[0].GetString().Should().Be("exec");
        rewritten.GetProperty("fileRoots")[0].GetString().Should().Be("/srv");
        File.GetUnixFileMode(config).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _log.Should().Contain(l => l.Contains("removed the enrollment key from " + config, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Once_enrolled_the_node_removes_the_key_line_from_node_toml_and_keeps_every_other_line()
    {
        await using var core = await FakeCore.StartAsync();
        var config = Path.Combine(_data, "node.toml");
        var before = $"""
            # the owner's own note
            core = "{core.Url}"
            key = "enroll-key" # pasted by hand
            name = "web-1"

            [forwardTargets]
            allow = ["127.0.0.0/8"]
            """;
        File.WriteAllText(config, before);
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token, keyFile: config);

        await WaitUntil(() => core.State.Hellos.Count >= 1 && !File.ReadAllText(config).Contains("enroll-key", StringComparison.Ordinal));
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        File.ReadAllText(config).Should().Be(before.Replace("key = \"enroll-key\" # pasted by hand\n", "", StringComparison.Ordinal));
        File.GetUnixFileMode(config).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task Once_enrolled_the_node_deletes_the_enrollment_key_file_the_install_script_left()
    {
        await using var core = await FakeCore.StartAsync();
        var keyFile = Path.Combine(_data, "enrollment.key");
        File.WriteAllText(keyFile, "enroll-key\n");
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token, keyFile: keyFile);

        await WaitUntil(() => core.State.Hellos.Count >= 1 && !File.Exists(keyFile));
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        File.Exists(Path.Combine(_data, "identity.json")).Should().BeTrue();
        _log.Should().Contain(l => l.Contains("removed the enrollment key from " + keyFile, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_known_machine_waits_for_approval_then_joins_as_the_old_node()
    {
        await using var core = await FakeCore.StartAsync();
        core.State.RequireApproval = true;
        using var stop = new CancellationTokenSource();
        var agent = StartAgent(core.Url, stop.Token);

        await WaitUntil(() => core.State.JoinPolls >= 2);
        _log.Should().Contain(l => l.Contains("waiting for an administrator to approve this server's re-join (request req-1", StringComparison.Ordinal));
        File.Exists(Path.Combine(_data, "identity.json")).Should().BeFalse();
        File.GetUnixFileMode(Path.Combine(_data, JoinTicket.FileName)).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "the ticket is a secret");

        lock (core.State.Gate) core.State.JoinDecision = "approve";
        await WaitUntil(() => core.State.Hellos.Count >= 1);
        await stop.CancelAsync();
        await agent.WaitAsync(TimeSpan.FromSeconds(10));

        NodeIdentity.Load(_data)!.NodeId.Should().Be("node-old");
        File.Exists(Path.Combine(_data, JoinTicket.FileName)).Should().BeFalse();
    }

    [Fact]
    public async Task A_rejected_node_says_so_and_stops_asking_even_after_a_restart()
    {
        await using var core = await FakeCore.StartAsync();
        core.State.RequireApproval = true;
        core.State.JoinDecision = "reject";
        using (var stop = new CancellationTokenSource())
        {
            var agent = StartAgent(core.Url, stop.Token);
            await WaitUntil(() => _log.Any(l => l.Contains("rejected this server's request to re-join", StringComparison.Ordinal)));
            await Task.Delay(500);
            await stop.CancelAsync();
            await agent.WaitAsync(TimeSpan.FromSeconds(10));
        }

        core.State.JoinPolls.Should().Be(1, "a rejection ends the asking");
        using (var stop = new CancellationTokenSource())
        {
            var agent = StartAgent(core.Url, stop.Token);
            await Task.Delay(500);
            await stop.CancelAsync();
            await agent.WaitAsync(TimeSpan.FromSeconds(10));
        }

        core.State.JoinPolls.Should().Be(1);
        JoinTicket.Load(_data)!.Rejected.Should().BeTrue();
        File.Exists(Path.Combine(_data, "identity.json")).Should().BeFalse();
    }

    private Task StartAgent(Uri core, CancellationToken ct, string? name = null, string? keyFile = null)
    {
        var settings = new NodeSettings { Core = core, Key = "enroll-key", KeyFile = keyFile, Name = name, DataDir = _data, SampleIntervalMs = 250 };
        var agent = new NodeAgent(settings, "test", new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)),
            new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300)));
        return Task.Run(() => agent.RunAsync(ct), CancellationToken.None);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within " + Patience);
            await Task.Delay(50);
        }
    }
}
