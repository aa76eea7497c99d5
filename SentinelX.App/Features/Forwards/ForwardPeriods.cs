namespace SentinelX.App.Features.Forwards;

/// <summary>Monthly periods that start on a rule's reset day (1–28, 00:00 UTC), and chart bucket sizes.</summary>
public static class ForwardPeriods
{
    public const long MinuteMs = 60_000;
    public const long HourMs = 3_600_000;

    /// <summary>Start of the period holding <paramref name="time"/>: this month's reset day if it has passed, else last month's.</summary>
    public static DateTimeOffset Start(DateTimeOffset time, int resetDay)
    {
        var utc = time.ToUniversalTime();
        var start = new DateTimeOffset(utc.Year, utc.Month, resetDay, 0, 0, 0, TimeSpan.Zero);
        return utc >= start ? start : start.AddMonths(-1);
    }

    /// <summary>The <paramref name="count"/> most recent periods as [start, end), newest first; the first one is still running.</summary>
    public static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Recent(DateTimeOffset now, int resetDay, int count)
    {
        var start = Start(now, resetDay);
        var result = new List<(DateTimeOffset, DateTimeOffset)>(count);
        for (var i = 0; i < count; i++) result.Add((start.AddMonths(-i), start.AddMonths(1 - i)));
        return result;
    }

    /// <summary>Bucket size (ms) for a chart over <paramref name="range"/>: about 300 points, never finer than the stored resolution.</summary>
    public static long BucketMs(TimeSpan range, bool hourly)
    {
        var floor = hourly ? HourMs : MinuteMs;
        var wanted = (long)range.TotalMilliseconds / 300;
        return Math.Max(floor, wanted / floor * floor);
    }

    public static long Floor(long ms, long bucketMs) => ms - (((ms % bucketMs) + bucketMs) % bucketMs);
}
