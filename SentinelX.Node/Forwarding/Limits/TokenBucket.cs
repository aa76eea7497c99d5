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
    private readonly TimeProvider _time;
    private double _rate;
    private double _tokens;
    private long _stamp;

    public TokenBucket(double bytesPerSecond, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _stamp = _time.GetTimestamp();
        SetRate(bytesPerSecond);
    }

    /// <summary>Bytes per second; 0 for unlimited.</summary>
    public double Rate
    {
        get
        {
            lock (_gate) return _rate;
        }
    }

    public static TokenBucket FromMbps(double mbps, TimeProvider? time = null) => new(mbps * 1_000_000 / 8, time);

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
        var wait = Take(bytes);
        return wait == TimeSpan.Zero ? ValueTask.CompletedTask : new ValueTask(Task.Delay(wait, _time, ct));
    }

    /// <summary>Takes <paramref name="bytes"/> and returns how long the caller must wait before sending them.</summary>
    public TimeSpan Take(int bytes)
    {
        lock (_gate)
        {
            if (_rate <= 0) return TimeSpan.Zero;
            Refill();
            _tokens -= bytes;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _rate);
        }
    }

    private double Capacity => Math.Max(_rate * BurstSeconds, 64 * 1024);

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(Capacity, _tokens + _time.GetElapsedTime(_stamp, now).TotalSeconds * _rate);
        _stamp = now;
    }
}
