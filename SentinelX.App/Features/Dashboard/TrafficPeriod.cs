namespace SentinelX.App.Features.Dashboard;

/// <summary>The monthly traffic period of a Node: from its reset day at 00:00 UTC to the same day next month.</summary>
public readonly record struct TrafficPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>
    /// The period that contains <paramref name="now"/>. Reset days are 1–28 so every month has one;
    /// anything outside that range (old rows, hand-edited values) counts as 1 or 28.
    /// </summary>
    public static TrafficPeriod Containing(DateTimeOffset now, int resetDay)
    {
        var day = Math.Clamp(resetDay, 1, 28);
        var utc = now.ToUniversalTime();
        var start = new DateTimeOffset(utc.Year, utc.Month, day, 0, 0, 0, TimeSpan.Zero);
        if (utc < start) start = start.AddMonths(-1);
        return new TrafficPeriod(start, start.AddMonths(1));
    }
}
