using System.Runtime.Versioning;
using System.Text.Json;
using FluentAssertions;
using SentinelX.Node.Logging;
using SentinelX.Node.Outbox;
using SentinelX.Node.Probes;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;
using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>Results ride on the next sample through the disk outbox, as the Core will read them back.</summary>
[SupportedOSPlatform("linux")]
public sealed class ProbeResultBufferTests : IDisposable
{
    private readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("sx-probe-outbox-").FullName, "outbox");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);

    [Fact]
    public void Results_ride_on_the_next_sample_and_come_back_from_disk()
    {
        var buffer = new ProbeResultBuffer();
        buffer.Add(Result("web", 0, ok: true, latency: 12.5));
        buffer.Add(Result("dns", 1, ok: false, error: "NXDOMAIN: the name does not exist"));
        buffer.Add(Result("tls", 2, ok: false, error: "TLS certificate not trusted: expired or not yet valid", expires: At(-86_400)));
        using (var outbox = SampleOutbox.Open(_dir))
        {
            buffer.AppendTo(outbox, Sample(outbox.NextSeq)).Should().Be(1);
            buffer.Count.Should().Be(0, "stored results leave the buffer");
            buffer.AppendTo(outbox, Sample(outbox.NextSeq)).Should().Be(2);
        }

        using var reopened = SampleOutbox.Open(_dir);
        var samples = ReadBack(reopened);
        samples[0].Probes!.Select(p => p.ProbeId).Should().Equal("web", "dns", "tls");
        samples[0].Probes![0].LatencyMs.Should().Be(12.5);
        samples[0].Probes![1].Error.Should().Be("NXDOMAIN: the name does not exist");
        samples[0].Probes![2].CertificateExpiresAt.Should().Be(At(-86_400));
        samples[1].Probes.Should().BeNull("a sample carries only what finished since the one before");
        samples.Should().OnlyContain(s => ProtocolValidation.Validate(s) == null, "what the Node stores passes the Core's checks");
    }

    [Fact]
    public void More_results_than_a_sample_may_carry_spread_over_the_next_samples()
    {
        var buffer = new ProbeResultBuffer();
        for (var i = 0; i < 1200; i++) buffer.Add(Result($"p{i}", i, ok: true));
        using var outbox = SampleOutbox.Open(_dir);
        for (var i = 0; i < 3; i++) buffer.AppendTo(outbox, Sample(outbox.NextSeq));

        var samples = ReadBack(outbox);
        samples.Select(s => s.Probes!.Count).Should().Equal(500, 500, 200);
        samples.SelectMany(s => s.Probes!).Select(p => p.ProbeId).Should().Equal(Enumerable.Range(0, 1200).Select(i => $"p{i}"), "oldest first, none lost");
    }

    [Fact]
    public void A_sample_that_cannot_be_stored_leaves_its_results_for_the_next()
    {
        var buffer = new ProbeResultBuffer();
        buffer.Add(Result("web", 0, ok: true));
        var broken = SampleOutbox.Open(_dir);
        broken.Dispose();
        var act = () => buffer.AppendTo(broken, Sample(1));
        act.Should().Throw<ObjectDisposedException>();
        buffer.Count.Should().Be(1);

        using var outbox = SampleOutbox.Open(_dir);
        buffer.AppendTo(outbox, Sample(outbox.NextSeq));
        ReadBack(outbox).Should().ContainSingle().Which.Probes.Should().ContainSingle().Which.ProbeId.Should().Be("web");
    }

    [Fact]
    public void A_full_buffer_drops_the_oldest_and_says_so_once()
    {
        var lines = new List<string>();
        void Capture(string line)
        {
            if (line.Contains("probe result", StringComparison.Ordinal)) lock (lines) lines.Add(line);
        }

        var buffer = new ProbeResultBuffer(capacity: 10);
        Log.LineWritten += Capture;
        try
        {
            for (var i = 0; i < 15; i++) buffer.Add(Result($"p{i}", i, ok: true));
            using var outbox = SampleOutbox.Open(_dir);
            buffer.AppendTo(outbox, Sample(outbox.NextSeq));
            ReadBack(outbox).Single().Probes!.Select(p => p.ProbeId).Should().Equal(Enumerable.Range(5, 10).Select(i => $"p{i}"));
        }
        finally
        {
            Log.LineWritten -= Capture;
        }

        lines.Should().Contain(l => l.Contains("more than 10 probe results wait", StringComparison.Ordinal))
            .And.Contain(l => l.Contains("5 older result(s) were dropped", StringComparison.Ordinal));
    }

    private static List<MetricSample> ReadBack(SampleOutbox outbox)
    {
        var records = new List<OutboxRecord>();
        outbox.Read(0, 100, int.MaxValue, records);
        return [.. records.Select(r => JsonSerializer.Deserialize(r.Json, ProtocolJsonContext.Default.MetricSample)!)];
    }

    private static DateTimeOffset At(int seconds) => new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(seconds);

    private static ProbeResult Result(string id, int second, bool ok, double? latency = null, string? error = null, DateTimeOffset? expires = null) =>
        new() { ProbeId = id, At = At(second), Ok = ok, LatencyMs = latency, Error = error, CertificateExpiresAt = expires };

    private static MetricSample Sample(long seq) => new() { Seq = seq, Timestamp = DateTimeOffset.UtcNow, CpuPercent = 1 };
}
