namespace SentinelX.Node.Connection;

/// <summary>
/// Exponential backoff with equal jitter (a random delay between half the current ceiling and the
/// ceiling), so a fleet that lost its Core at the same moment does not come back in lockstep, while
/// every wait is still at least half the ceiling: the retry rate falls exponentially for certain.
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
        var half = ceiling.Ticks / 2;
        // A floor of 100 ms keeps a tight loop from ever spinning.
        return TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 100, half + (long)(half * _random.NextDouble())));
    }

    public void Reset() => _attempt = 0;
}
