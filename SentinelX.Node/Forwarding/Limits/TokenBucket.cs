using System.Diagnostics;

namespace SentinelX.Node.Forwarding.Limits;

/// <summary>
/// A bandwidth limit shared by every connection of one rule in one direction. Tokens are bytes,
/// refilled continuously at the rate; the bucket holds at most <see cref="BurstSeconds"/> worth: enough
/// that a copier the scheduler held up for a moment catches up (the average stays at the rate), too
/// little for an idle rule to bank a large burst. Callers take what they are about to send and wait for
/// any debt to be paid off; a rate of 0 means unlimited and never waits.
/// </summary>
internal sealed class TokenBucket
{
    private const double BurstSeconds = 0.2;
    private readonly Lock _gate = new();
    private double _rate;
    private double _tokens;
    private long _stamp = Stopwatch.GetTimestamp();

    public TokenBucket(double bytesPerSecond) => SetRate(bytesPerSecond);

    /// <summary>Bytes per second; 0 for unlimited.</summary>
    public double Rate
    {
        get
        {
            lock (_gate) return _rate;
        }
    }

    public static TokenBucket FromMbps(double mbps) => new(mbps * 1_000_000 / 8);

    public void SetRate(double bytesPerSecond)
    {
        lock (_gate)
        {
            Refill();
            _rate = Math.Max(0, bytesPerSecond);
            _tokens = Math.Min(_tokens, Capacity);
        }
    }

    /// <summary>Takes <paramref name="bytes"/> and waits until the bucket is no longer in debt.</summary>
    public ValueTask TakeAsync(int bytes, CancellationToken ct)
    {
        TimeSpan wait;
        lock (_gate)
        {
            if (_rate <= 0) return ValueTask.CompletedTask;
            Refill();
            _tokens -= bytes;
            if (_tokens >= 0) return ValueTask.CompletedTask;
            wait = TimeSpan.FromSeconds(-_tokens / _rate);
        }

        return new ValueTask(Task.Delay(wait, ct));
    }

    private double Capacity => Math.Max(_rate * BurstSeconds, 64 * 1024);

    private void Refill()
    {
        var now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(Capacity, _tokens + Stopwatch.GetElapsedTime(_stamp, now).TotalSeconds * _rate);
        _stamp = now;
    }
}
