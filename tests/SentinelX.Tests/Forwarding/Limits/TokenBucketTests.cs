using System.Diagnostics;
using FluentAssertions;
using SentinelX.Node.Forwarding.Limits;
using Xunit;

namespace SentinelX.Tests.Forwarding.Limits;

/// <summary>
/// The bandwidth limit users set is the rate they get: several connections taking from one bucket
/// together move the configured bytes per second, within 5 %, also right after the rate changes.
/// </summary>
[Collection(MeasuredRates.Name)]
public sealed class TokenBucketTests
{
    [Theory]
    [InlineData(8, 16 * 1024)]
    [InlineData(100, 64 * 1024)]
    public async Task Four_concurrent_takers_together_get_the_rate(double mbps, int chunk)
    {
        var completions = await PumpAsync(() => TokenBucket.FromMbps(mbps), takers: 4, chunk, TimeSpan.FromSeconds(2), (_, _) => { });

        var bytes = BytesBetween(completions, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        var expected = mbps * 1_000_000 / 8 * 2;
        ((double)bytes).Should().BeInRange(expected * 0.95, expected * 1.05);
    }

    [Fact]
    public async Task A_rate_change_mid_stream_takes_effect_at_once()
    {
        var completions = await PumpAsync(() => TokenBucket.FromMbps(8), takers: 4, 16 * 1024, TimeSpan.FromSeconds(4), (bucket, elapsed) =>
        {
            if (elapsed >= TimeSpan.FromSeconds(2) && bucket.Rate < 3_000_000) bucket.SetRate(32 * 1_000_000 / 8);
        });

        var slow = BytesBetween(completions, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        ((double)slow).Should().BeInRange(1_000_000 * 2 * 0.95, 1_000_000 * 2 * 1.05);
        var fast = BytesBetween(completions, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
        ((double)fast).Should().BeInRange(4_000_000 * 2 * 0.95, 4_000_000 * 2 * 1.05);
    }

    [Fact]
    public async Task Lowering_the_rate_mid_stream_slows_the_takers_down()
    {
        var completions = await PumpAsync(() => TokenBucket.FromMbps(100), takers: 4, 16 * 1024, TimeSpan.FromSeconds(4), (bucket, elapsed) =>
        {
            if (elapsed >= TimeSpan.FromSeconds(2) && bucket.Rate > 2_000_000) bucket.SetRate(8 * 1_000_000 / 8);
        });

        var slow = BytesBetween(completions, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));
        ((double)slow).Should().BeInRange(1_000_000 * 2 * 0.95, 1_000_000 * 2 * 1.05);
    }

    [Fact]
    public void Unlimited_never_waits()
    {
        var bucket = new TokenBucket(0);
        for (var i = 0; i < 10_000; i++)
            CompletedAtOnce(bucket.TakeAsync(1 << 20, CancellationToken.None)).Should().BeTrue();
    }

    [Fact]
    public void Switching_to_unlimited_stops_the_waits()
    {
        var bucket = TokenBucket.FromMbps(1);
        CompletedAtOnce(bucket.TakeAsync(1 << 20, CancellationToken.None)).Should().BeFalse("1 MiB at 1 Mbit/s is 8 s of debt");

        bucket.SetRate(0);

        CompletedAtOnce(bucket.TakeAsync(1 << 20, CancellationToken.None)).Should().BeTrue();
    }

    [Fact]
    public async Task Cancelling_ends_a_wait()
    {
        var bucket = TokenBucket.FromMbps(1);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var started = Stopwatch.GetTimestamp();

        var act = async () => await bucket.TakeAsync(1 << 20, cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        Stopwatch.GetElapsedTime(started).Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    /// <summary>
    /// Runs takers in a loop for <paramref name="duration"/>; returns when each take completed and its size.
    /// On a machine shared with builds the whole process is sometimes not scheduled for most of a
    /// second; nothing can be sent then, limited or not, so such a run measures the machine, not the
    /// bucket. A run is repeated (with a fresh bucket state) when the 5 ms ticker saw a gap over
    /// 150 ms, up to five times; a run without a stall is what the assertions judge.
    /// </summary>
    private static async Task<List<(TimeSpan At, int Bytes)>> PumpAsync(
        Func<TokenBucket> create, int takers, int chunk, TimeSpan duration, Action<TokenBucket, TimeSpan> onTick)
    {
        for (var attempt = 1; ; attempt++)
        {
            var bucket = create();
            var (completions, stalled) = await PumpOnceAsync(bucket, takers, chunk, duration, elapsed => onTick(bucket, elapsed));
            if (!stalled || attempt == 5) return completions;
        }
    }

    private static async Task<(List<(TimeSpan At, int Bytes)> Completions, bool Stalled)> PumpOnceAsync(
        TokenBucket bucket, int takers, int chunk, TimeSpan duration, Action<TimeSpan> onTick)
    {
        var completions = new List<(TimeSpan, int)>();
        var started = Stopwatch.GetTimestamp();
        using var stop = new CancellationTokenSource(duration);
        var tasks = Enumerable.Range(0, takers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await bucket.TakeAsync(chunk, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                lock (completions) completions.Add((Stopwatch.GetElapsedTime(started), chunk));
            }
        })).ToList();

        var stalled = false;
        var last = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetElapsedTime(started);
            stalled |= now - last > TimeSpan.FromMilliseconds(150);
            last = now;
            onTick(now);
            await Task.Delay(5);
        }

        await Task.WhenAll(tasks);
        return (completions, stalled);
    }

    private static bool CompletedAtOnce(ValueTask take) => take.IsCompletedSuccessfully;

    private static long BytesBetween(List<(TimeSpan At, int Bytes)> completions, TimeSpan from, TimeSpan to) =>
        completions.Where(c => c.At >= from && c.At < to).Sum(c => (long)c.Bytes);
}
