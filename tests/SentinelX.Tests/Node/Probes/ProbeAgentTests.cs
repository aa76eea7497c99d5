using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node;
using SentinelX.Node.Config;
using SentinelX.Node.Connection;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>The whole agent: probe.sync over its real session, results on its samples to a fake Core.</summary>
[SupportedOSPlatform("linux")]
public sealed class ProbeAgentTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("sx-probe-agent-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task A_synced_probe_reports_through_the_samples_the_core_stores()
    {
        await using var core = await FakeCore.StartAsync();
        using var stop = new CancellationTokenSource();
        var settings = new NodeSettings { Core = core.Url, Key = "enroll-key", DataDir = _data, SampleIntervalMs = 250 };
        var agent = new NodeAgent(settings, "test", new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)));
        var running = Task.Run(() => agent.RunAsync(stop.Token), CancellationToken.None);
        try
        {
            await ProbeRunnerTests.Until(() => core.State.Peer is not null && core.State.StoredCopy().Count > 0);
            // The fake Core's own port answers TCP; the closed one next to nothing does.
            var result = await core.State.Peer!.RequestAsync(Methods.ProbeSync, new ProbeSyncParams
            {
                Probes =
                [
                    new ProbeDefinition { Id = "core", Type = ProbeTypes.Tcp, Target = $"127.0.0.1:{core.Port}", IntervalSeconds = 5 },
                    new ProbeDefinition { Id = "closed", Type = ProbeTypes.Tcp, Target = "127.0.0.1:1", IntervalSeconds = 5 },
                ],
            }, ProtocolJsonContext.Default.ProbeSyncParams, ProtocolJsonContext.Default.ProbeSyncResult);
            result.Should().Be(new ProbeSyncResult { Running = 2, Enabled = true });

            await ProbeRunnerTests.Until(() =>
            {
                lock (core.State.Gate) return core.State.ProbeResults.Select(r => r.ProbeId).Distinct().Count() == 2;
            });
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(10));
        }

        core.State.BadBatch.Should().BeNull("the samples carrying results pass the Core's validation");
        lock (core.State.Gate)
        {
            core.State.ProbeResults.First(r => r.ProbeId == "core").Should().Match<ProbeResult>(r => r.Ok && r.LatencyMs >= 0 && r.Error == null);
            core.State.ProbeResults.First(r => r.ProbeId == "closed").Should().Match<ProbeResult>(r => !r.Ok && r.Error == "connection refused");
        }

        File.Exists(Path.Combine(_data, "probes.json")).Should().BeTrue("the set is kept for a restart while the Core is away");
    }
}
