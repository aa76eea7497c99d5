using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Shared.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace SentinelX.Tests.Forwarding.Hops;

/// <summary>
/// 256 MiB (after a short warm-up) through each hop transport on loopback, one way, with the rate written to the test output
/// to guide tuning. The rate is not asserted (a shared machine makes timings noisy; the benchmark
/// script compares against haproxy); the byte count is.
/// </summary>
public sealed class HopThroughputTests(ITestOutputHelper output) : IDisposable
{
    private const long WarmUp = 8L << 20;

    // SENTINELX_HOP_BENCH_BYTES overrides the size for a longer or shorter run.
    private static readonly long Total = long.Parse(Environment.GetEnvironmentVariable("SENTINELX_HOP_BENCH_BYTES") ?? "268435456");
    private const int Chunk = 256 * 1024;

    private readonly X509Certificate2 _authority = TestHopCertificates.CreateAuthority();

    public void Dispose() => _authority.Dispose();

    [Fact]
    public async Task A_quarter_GiB_crosses_every_transport_and_the_rates_are_printed()
    {
        using var entry = TestHopCertificates.Issue(_authority, "entry");
        using var exit = TestHopCertificates.Issue(_authority, "exit");
        var rates = new List<string>();
        foreach (var transport in new[] { HopTransports.Tcp, HopTransports.Tls, HopTransports.Ws, HopTransports.Wss })
        {
            // The first run of each path pays for JIT compilation; it is not what is measured.
            (await SendAsync(transport, entry, exit, WarmUp)).Bytes.Should().Be(WarmUp);
            var (bytes, elapsed) = await SendAsync(transport, entry, exit, Total);
            bytes.Should().Be(Total, $"every byte sent over {transport} arrives");
            rates.Add($"{transport}: {Total / elapsed.TotalSeconds / 1e6:0} MB/s");
        }

        output.WriteLine($"hop throughput on loopback, {Total >> 20} MiB one way: {string.Join(", ", rates)}");
    }

    private static async Task<(long Bytes, TimeSpan Elapsed)> SendAsync(string transport, HopCredentials entry, HopCredentials exit, long size)
    {
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listen = new HopListen
        {
            Transport = transport,
            Address = "127.0.0.1",
            Port = HopTestBench.FreePort(),
            Secret = HopPreamble.NewSecret(),
            PeerNodeId = "entry",
        };
        // The listener answers one byte once everything has arrived, so the dialer closes only then:
        // closing with the TLS 1.3 session tickets still unread would reset the connection early.
        await using var server = HopServer.Start("bench", listen, exit, async (hop, _, ct) =>
        {
            var buffer = new byte[Chunk];
            long total = 0;
            int n;
            while (total < size && (n = await hop.ReadAsync(buffer, ct)) > 0) total += n;
            received.TrySetResult(total);
            await hop.WriteAsync(new byte[] { 1 }, ct);
        });

        var dial = new HopDial
        {
            Transport = transport,
            Host = "127.0.0.1",
            Port = listen.Port,
            Secret = listen.Secret,
            PeerNodeId = "exit",
        };
        var data = new byte[Chunk];
        Random.Shared.NextBytes(data);
        var clock = Stopwatch.StartNew();
        await using var hop = await HopTransport.DialAsync(dial, entry, CancellationToken.None);
        await HopTestBench.Preamble(listen.Secret, "bench").SendAsync(hop, CancellationToken.None);
        for (long sent = 0; sent < size; sent += Chunk) await hop.WriteAsync(data.AsMemory(0, (int)Math.Min(Chunk, size - sent)));
        var bytes = await received.Task.WaitAsync(TimeSpan.FromSeconds(120));
        var elapsed = clock.Elapsed;
        (await hop.ReadAsync(new byte[1])).Should().Be(1);
        return (bytes, elapsed);
    }
}
