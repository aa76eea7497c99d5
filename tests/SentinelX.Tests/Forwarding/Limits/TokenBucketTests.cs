using System.Diagnostics;
using FluentAssertions;
using SentinelX.Node.Forwarding.Limits;
using Xunit;

namespace SentinelX.Tests.Forwarding.Limits;

/// <summary>
/// The bandwidth limit users set is the rate they get: several connections taking from one bucket
/// together move the configured bytes per second, within 2 %, also right after the rate changes.
/// The takers run on a virtual clock (each sends when its wait is over), so these figures are the
/// bucket's own and not the scheduler's; the engine tests measure the same limit on real sockets.
/// </summary>
public sealed class TokenBucketTests
{
    [Theory]
    [InlineData(8, 16 * 1024)]
    [InlineData(100, 64 * 1024)]
    [InlineData(1, 1500)]
    public void Concurrent_takers_together_get_the_rate(double mbps, int chunk)
    {
        var clock = new ManualClock();
        var bucket = TokenBucket.FromMbps(mbps, clock);

        var completions = Pump(bucket, clock, takers: 4, chunk, TimeSpan.FromSeconds(4), _ => { });

        var bytes = BytesBetween(completions, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        var expected = mbps * 1_000_000 / 8 * 3;
        ((double)bytes).Should().BeInRange(expected * 0.98, expected * 1.02);
    }

    [Fact]
    public void An_idle_bucket_banks_no_more_than_a_short_burst()
    {
        var clock = new ManualClock();
        var bucket = TokenBucket.FromMbps(8, clock);
        clock.Advance(TimeSpan.FromMinutes(10));

        var free = 0;
        while (bucket.Take(16 * 1024) == TimeSpan.Zero) free += 16 * 1024;

        free.Should().BeLessThanOrEqualTo(1_000_000 / 5, "at most 0.2 s of the rate after any idle time");
    }

    [Fact]
    public void A_rate_change_mid_stream_takes_effect_at_once()
    {
        var clock = new ManualClock();
        var bucket = TokenBucket.FromMbps(8, clock);

        var completions = Pump(bucket, clock, takers: 4, 16 * 1024, TimeSpan.FromSeconds(4), elapsed =>
        {
            if (elapsed >= TimeSpan.FromSeconds(2) && bucket.Rate < 3_000_000) bucket.SetRate(32 * 1_000_000 / 8);
        });

        var slow = BytesBetween(completions, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(2));
        ((double)slow).Should().BeInRange(1_000_000 * 1.5 * 0.98, 1_000_000 * 1.5 * 1.02);
        var fast = BytesBetween(completions, TimeSpan.FromSeconds(2.1), TimeSpan.FromSeconds(4));
        ((double)fast).Should().BeInRange(4_000_000 * 1.9 * 0.98, 4_000_000 * 1.9 * 1.02);
    }

    [Fact]
    public void Lowering_the_rate_mid_stream_slows_the_takers_down()
    {
        var clock = new ManualClock();
        var bucket = TokenBucket.FromMbps(100, clock);

        var completions = Pump(bucket, clock, takers: 4, 16 * 1024, TimeSpan.FromSeconds(4), elapsed =>
        {
            if (elapsed >= TimeSpan.FromSeconds(2) && bucket.Rate > 2_000_000) bucket.SetRate(8 * 1_000_000 / 8);
        });

        // The debt the fast takers ran up before the change is paid at the new rate, so the first
        // moment after it may be quieter; from then on the rate is the new one.
        var slow = BytesBetween(completions, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(4));
        ((double)slow).Should().BeInRange(1_000_000 * 1.5 * 0.98, 1_000_000 * 1.5 * 1.02);
        BytesBetween(completions, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.5)).Should().BeLessThanOrEqualTo(1_000_000 / 2 + 4 * 16 * 1024);
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
    /// Runs <paramref name="takers"/> copiers against the bucket on the virtual clock until
    /// <paramref name="duration"/>: the one whose wait ends first takes its next chunk, and the chunk
    /// counts as sent when that take's wait is over. Returns when each chunk was sent.
    /// </summary>
    private static List<(TimeSpan At, int Bytes)> Pump(
        TokenBucket bucket, ManualClock clock, int takers, int chunk, TimeSpan duration, Action<TimeSpan> onTick)
    {
        var completions = new List<(TimeSpan, int)>();
        var ready = new TimeSpan[takers];
        while (true)
        {
            var next = Array.IndexOf(ready, ready.Min());
            if (ready[next] >= duration) return completions;
            clock.AdvanceTo(ready[next]);
            onTick(clock.Elapsed);
            ready[next] = clock.Elapsed + bucket.Take(chunk);
            if (ready[next] < duration) completions.Add((ready[next], chunk));
        }
    }

    /// <summary>A clock that moves only when told; its timestamps are ticks since it was made.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public TimeSpan Elapsed { get; private set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Elapsed.Ticks;

        public void Advance(TimeSpan by) => Elapsed += by;

        public void AdvanceTo(TimeSpan at) => Elapsed = at > Elapsed ? at : Elapsed;
    }

    private static bool CompletedAtOnce(ValueTask take) => take.IsCompletedSuccessfully;

    private static long BytesBetween(List<(TimeSpan At, int Bytes)> completions, TimeSpan from, TimeSpan to) =>
        completions.Where(c => c.At >= from && c.At < to).Sum(c => (long)c.Bytes);
}
