namespace SentinelX.Node.Connection;

/// <summary>
/// Exponential backoff with full jitter (a random delay between 0 and the current ceiling), so a
/// fleet that lost its Core at the same moment does not come back in lockstep.
/// See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/.
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private int _attempt;

    public TimeSpan Max => max;

    /// <summary>The ceiling the next delay is drawn under.</summary>
    public TimeSpan Ceiling => TimeSpan.FromTicks(Math.Min(max.Ticks, initial.Ticks << Math.Min(_attempt, 20)));

    public TimeSpan Next()
    {
        var ceiling = Ceiling;
        _attempt++;
        // A floor of 100 ms keeps a tight loop from ever spinning.
        return TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 100, (long)(ceiling.Ticks * _random.NextDouble())));
    }

    public void Reset() => _attempt = 0;
}
