using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using SentinelX.Node.Forwarding;
using SentinelX.Shared.Protocol;
using Xunit;
using Xunit.Abstractions;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding;

/// <summary>A real iperf3 run through a TCP rule, on the splice path and the copy path: iperf3's own byte count must match the rule's counters.</summary>
public sealed class ForwardIperfTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _data = TempDir();
    private ForwardEngine _engine = null!;

    public async Task InitializeAsync() => _engine = await StartEngineAsync(_data);

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Theory]
    [InlineData(0)] // splice
    [InlineData(100_000)] // a limit far above loopback speed: the pooled copy path
    public async Task Iperf3_runs_through_a_rule_and_the_counters_match(double bandwidthMbps)
    {
        var serverPort = FreeTcpPort();
        using var server = Process.Start(new ProcessStartInfo("iperf3", ["-s", "-1", "--forceflush", "-p", serverPort.ToString(), "-B", "127.0.0.1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            // A probe connection would use up the one-shot server: wait for its banner instead.
            string? line;
            do line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
            while (line is not null && !line.Contains("Server listening", StringComparison.Ordinal));
            line.Should().NotBeNull("iperf3 -s must start");
            var port = FreeTcpPort();
            (await ApplyAsync(_engine, Direct("ip", port, $"127.0.0.1:{serverPort}") with { BandwidthMbps = bandwidthMbps })).Placements.Single().Status.Should().Be(ForwardStatuses.Active);

            using var client = Process.Start(new ProcessStartInfo("iperf3", ["-c", "127.0.0.1", "-p", port.ToString(), "-t", "2", "-J"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var json = await client.StandardOutput.ReadToEndAsync();
            await client.WaitForExitAsync();
            client.ExitCode.Should().Be(0, json);

            using var report = JsonDocument.Parse(json);
            var received = report.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetInt64();
            received.Should().BeGreaterThan(10L * 1024 * 1024);
            var seconds = report.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("seconds").GetDouble();
            output.WriteLine($"iperf3 through a rule with bandwidthMbps {bandwidthMbps}: {received * 8 / seconds / 1e9:0.00} Gbit/s");

            // iperf3 also opens a control connection through the rule, so the rule carried at least the data.
            (await EventuallyAsync(async () => (await _engine.StatsAsync(CancellationToken.None)).Single().ConnectionsActive == 0, TimeSpan.FromSeconds(5))).Should().BeTrue();
            var stats = (await _engine.StatsAsync(CancellationToken.None)).Single();
            stats.ConnectionsTotal.Should().Be(2);
            stats.BytesIn.Should().BeGreaterThanOrEqualTo(received);
            // What the client wrote bounds it from above (plus the small control exchange).
            var sent = report.RootElement.GetProperty("end").GetProperty("sum_sent").GetProperty("bytes").GetInt64();
            stats.BytesIn.Should().BeLessThan(sent + 64 * 1024);
        }
        finally
        {
            if (!server.HasExited) server.Kill();
            await server.WaitForExitAsync();
        }
    }
}
