using System.Net.Sockets;
using System.Runtime.Versioning;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.Node.Config;
using SentinelX.Node.Logging;
using SentinelX.Node.Probes;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>
/// The runner's schedule, limits, re-syncs and persistence, with fake checks on a virtual clock.
/// The set is applied from the thread pool, so the loops carry no test synchronization context and
/// each <see cref="FakeTimeProvider.Advance"/> runs the checks that fall due before it returns.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ProbeRunnerTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("sx-probes-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly List<(string Id, DateTimeOffset At)> _calls = [];

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Each_probe_runs_on_its_own_interval_after_a_random_phase()
    {
        await using var runner = Runner(Record);
        await ApplyAsync(runner, Probe("a", 5), Probe("b", 10), Probe("c", 3600));

        Advance(120);

        Times("a").Should().HaveCount(24);
        Gaps("a").Should().OnlyContain(g => g == TimeSpan.FromSeconds(5));
        Times("b").Should().HaveCount(12);
        Gaps("b").Should().OnlyContain(g => g == TimeSpan.FromSeconds(10));
        Times("c").Should().ContainSingle("an hourly probe starts within its first minute, then waits an hour")
            .Which.Should().BeOnOrBefore(Start + ProbeRunner.MaxPhase);
        runner.Results.Count.Should().Be(24 + 12 + 1);
    }

    [Fact]
    public async Task First_checks_are_spread_over_the_interval()
    {
        await using var runner = Runner(Record);
        await ApplyAsync(runner, [.. Enumerable.Range(0, 50).Select(i => Probe($"p{i}", 30))]);

        Advance(30);

        var firsts = _calls.GroupBy(c => c.Id).Select(g => g.Min(c => c.At)).ToList();
        firsts.Should().HaveCount(50).And.OnlyContain(t => t > Start && t <= Start + TimeSpan.FromSeconds(30));
        firsts.Distinct().Count().Should().BeGreaterThan(10, "50 probes of the same interval must not all fire in the same second");
    }

    [Fact]
    public async Task At_most_sixteen_checks_run_at_once()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var most = 0;
        async Task<ProbeOutcome> Slow(ProbeDefinition probe, CancellationToken ct)
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            await release.Task.WaitAsync(ct);
            Interlocked.Decrement(ref running);
            return new ProbeOutcome(true, 1);
        }

        await using var runner = Runner(Slow);
        await ApplyAsync(runner, [.. Enumerable.Range(0, 20).Select(i => Probe($"p{i}", 5, timeoutMs: 30_000))]);
        Advance(5);

        await Until(() => Volatile.Read(ref running) == ProbeRunner.MaxConcurrentChecks);
        runner.Results.Count.Should().Be(0);
        release.SetResult();
        await Until(() => runner.Results.Count == 20);
        most.Should().Be(ProbeRunner.MaxConcurrentChecks);
    }

    [Fact]
    public async Task A_resync_keeps_unchanged_probes_on_their_schedule_and_restarts_or_stops_the_others()
    {
        var lines = new List<string>();
        void Capture(string line)
        {
            if (line.Contains("probes: 3 running", StringComparison.Ordinal)) lock (lines) lines.Add(line);
        }

        await using var runner = Runner(Record);
        await ApplyAsync(runner, Probe("a", 5), Probe("b", 5), Probe("d", 5));
        Advance(10);
        var aBefore = Times("a");
        aBefore.Should().HaveCount(2);

        Log.LineWritten += Capture;
        ProbeSyncResult result;
        try
        {
            result = await ApplyAsync(runner, Probe("a", 5), Probe("b", 10), Probe("c", 5));
        }
        finally
        {
            Log.LineWritten -= Capture;
        }

        result.Should().Be(new ProbeSyncResult { Running = 3, Enabled = true });
        lines.Should().ContainSingle().Which.Should().EndWith("probes: 3 running (1 added, 1 changed, 1 removed)");
        var dBefore = Times("d").Count;
        var bBefore = Times("b").Count;

        Advance(20);

        Times("a").Should().HaveCount(6);
        Gaps("a").Should().OnlyContain(g => g == TimeSpan.FromSeconds(5), "an unchanged probe keeps its phase: no extra check at the re-sync");
        Times("d").Should().HaveCount(dBefore, "a removed probe stops");
        Times("b").Should().HaveCount(bBefore + 2, "the changed probe runs every 10 s from its new phase");
        Times("c").Should().HaveCount(4);

        (await ApplyAsync(runner, Probe("a", 5), Probe("b", 10), Probe("c", 5))).Running.Should().Be(3, "the same set again changes nothing");
    }

    [Fact]
    public async Task A_probe_removed_mid_check_is_cancelled_and_reports_nothing()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<ProbeOutcome> Hang(ProbeDefinition probe, CancellationToken ct)
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }

            return new ProbeOutcome(true);
        }

        await using var runner = Runner(Hang);
        await ApplyAsync(runner, Probe("slow", 5, timeoutMs: 30_000));
        Advance(5);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        (await ApplyAsync(runner)).Running.Should().Be(0);

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        runner.Results.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_check_that_outlives_its_timeout_is_a_failure_without_latency()
    {
        static async Task<ProbeOutcome> Hang(ProbeDefinition probe, CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new ProbeOutcome(true);
        }

        await using var runner = Runner(Hang);
        var check = runner.CheckAsync(Probe("t", 60, timeoutMs: 1500), CancellationToken.None);
        await Until(() => { _time.Advance(TimeSpan.FromMilliseconds(500)); return check.IsCompleted; });

        var result = await check;
        result.Should().BeEquivalentTo(new ProbeResult { ProbeId = "t", At = Start, Ok = false, Error = "no answer within 1500 ms" });
    }

    [Fact]
    public async Task Errors_become_one_short_line()
    {
        await using var refused = Runner((_, _) => throw new SocketException((int)SocketError.ConnectionRefused));
        (await refused.CheckAsync(Probe("r", 60), CancellationToken.None)).Error.Should().Be("connection refused");

        await using var noisy = Runner((_, _) => Task.FromResult(new ProbeOutcome(false, -3, "first line\r\nsecond line" + new string('x', 400))));
        var result = await noisy.CheckAsync(Probe("n", 60), CancellationToken.None);
        result.Error.Should().StartWith("first line  second line").And.HaveLength(300).And.NotContainAny("\r", "\n");
        result.LatencyMs.Should().Be(0, "a negative figure is clamped, never sent");
    }

    [Fact]
    public async Task The_set_survives_a_restart_of_the_runner()
    {
        await using (var first = Runner(Record))
        {
            await ApplyAsync(first, Probe("a", 5), Probe("b", 60));
        }

        var file = Path.Combine(_data, ProbeRunner.FileName);
        File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        await using var second = Runner(Record);
        await Task.Run(second.Start);
        second.Count.Should().Be(2);
        Advance(60);
        Times("a").Should().HaveCount(12);
        Times("b").Should().ContainSingle();
    }

    [Fact]
    public async Task A_damaged_file_starts_no_probes()
    {
        await File.WriteAllTextAsync(Path.Combine(_data, ProbeRunner.FileName), """{"probes":[{"id":"x","type":"http","target":"file:///etc/shadow","intervalSeconds":5}]}""");
        await using var runner = Runner(Record);
        runner.Start();
        runner.Count.Should().Be(0);

        await File.WriteAllTextAsync(Path.Combine(_data, ProbeRunner.FileName), "{not json");
        await using var again = Runner(Record);
        again.Start();
        again.Count.Should().Be(0);
    }

    [Fact]
    public async Task Turned_off_in_the_nodes_config_it_runs_nothing_and_says_so()
    {
        await using (var enabled = Runner(Record))
        {
            await ApplyAsync(enabled, Probe("kept", 5));
        }

        await using var runner = Runner(Record, enabled: false);
        await Task.Run(runner.Start);
        var result = await ApplyAsync(runner, Probe("a", 5));
        Advance(30);

        result.Should().Be(new ProbeSyncResult { Running = 0, Enabled = false });
        runner.Count.Should().Be(0);
        _calls.Should().BeEmpty("neither the stored set nor the Core's runs");
        (await File.ReadAllTextAsync(Path.Combine(_data, ProbeRunner.FileName))).Should().Contain("kept").And.NotContain("\"a\"");
    }

    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    internal static ProbeDefinition Probe(string id, int interval, int? timeoutMs = null) =>
        new() { Id = id, Type = ProbeTypes.Tcp, Target = "127.0.0.1:9", IntervalSeconds = interval, TimeoutMs = timeoutMs };

    private ProbeRunner Runner(ProbeCheck check, bool enabled = true) =>
        new(new NodeSettings { Core = new Uri("http://127.0.0.1:1"), DataDir = _data, Probes = enabled }, check, _time);

    private static Task<ProbeSyncResult> ApplyAsync(ProbeRunner runner, params ProbeDefinition[] probes) =>
        Task.Run(() => runner.Apply(new ProbeSyncParams { Probes = probes }));

    private Task<ProbeOutcome> Record(ProbeDefinition probe, CancellationToken ct)
    {
        lock (_calls) _calls.Add((probe.Id, _time.GetUtcNow()));
        return Task.FromResult(new ProbeOutcome(true, 1.5));
    }

    private void Advance(int seconds)
    {
        for (var i = 0; i < seconds; i++) _time.Advance(TimeSpan.FromSeconds(1));
    }

    private List<DateTimeOffset> Times(string id)
    {
        lock (_calls) return [.. _calls.Where(c => c.Id == id).Select(c => c.At)];
    }

    private List<TimeSpan> Gaps(string id)
    {
        var times = Times(id);
        return [.. times.Zip(times.Skip(1), (a, b) => b - a)];
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>Waits (at most 30 s of real time, for a loaded machine) for an effect of work running elsewhere.</summary>
    internal static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the condition did not become true within 30 s");
            await Task.Delay(10);
        }
    }
}
