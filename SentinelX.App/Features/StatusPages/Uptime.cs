namespace SentinelX.App.Features.StatusPages;

/// <summary>Uptime of one day (UTC) for a bar; <see cref="Percent"/> is null when nothing was expected that day.</summary>
public readonly record struct DayUptime(long Day, double? Percent);

/// <summary>Uptime over the last 24 h, 7 d, 30 d and 90 d (null when nothing was expected in the window), and one bar per day.</summary>
public sealed record UptimeSummary(double? Day, double? Week, double? Month, double? Quarter, IReadOnlyList<DayUptime> Days)
{
    public static readonly IReadOnlyList<(string Key, int Hours)> Windows = [("24h", 24), ("7d", 7 * 24), ("30d", 30 * 24), ("90d", 90 * 24)];

    public double? Window(string key) => key switch { "24h" => Day, "7d" => Week, "30d" => Month, _ => Quarter };
}

/// <summary>
/// Adds up uptime per hour: what was up and what was expected, in any unit (minutes for a Node,
/// checks for a probe). Windows and day bars are made of whole hour buckets: "24 h" is the hour
/// that holds the last counted moment and the 23 before it, so it spans 23 to 24 hours; days are UTC days.
/// </summary>
public sealed class UptimeHours
{
    public const long MinuteMs = 60_000;
    public const long HourMs = 3_600_000;
    public const long DayMs = 86_400_000;
    public const int DaysShown = 90;

    private readonly Dictionary<long, (double Up, double Expected)> _hours = [];

    /// <summary>Adds to the hour that starts at <paramref name="hour"/>; what was up never counts for more than what was expected.</summary>
    public void Add(long hour, double up, double expected)
    {
        if (expected <= 0) return;
        var (u, e) = _hours.GetValueOrDefault(hour);
        _hours[hour] = (u + Math.Clamp(up, 0, expected), e + expected);
    }

    /// <summary>
    /// A Node's hours from the minutes that had samples (<paramref name="upMinutes"/> by hour
    /// start): it is expected up every minute from the one it was created in to <paramref name="endMs"/>
    /// (a minute boundary), and never before it was created.
    /// </summary>
    public static UptimeHours ForNode(IReadOnlyDictionary<long, int> upMinutes, long createdAtMs, long fromMs, long endMs)
    {
        var hours = new UptimeHours();
        var start = Math.Max(Floor(createdAtMs, MinuteMs), fromMs);
        for (var hour = Floor(start, HourMs); hour < endMs; hour += HourMs)
        {
            var expected = (Math.Min(hour + HourMs, endMs) - Math.Max(hour, start)) / MinuteMs;
            hours.Add(hour, upMinutes.GetValueOrDefault(hour), expected);
        }

        return hours;
    }

    /// <summary>The windows and the <see cref="DaysShown"/> day bars (oldest first) as of <paramref name="endMs"/>.</summary>
    public UptimeSummary Summarize(long endMs)
    {
        var lastHour = Floor(endMs - 1, HourMs);
        var lastDay = Floor(endMs - 1, DayMs);
        var days = new DayUptime[DaysShown];
        for (var i = 0; i < DaysShown; i++)
        {
            var day = lastDay - (DaysShown - 1 - i) * DayMs;
            days[i] = new DayUptime(day, Percent(day, day + DayMs));
        }

        double? Window(int hours) => Percent(lastHour - (hours - 1) * HourMs, lastHour + HourMs);
        return new UptimeSummary(Window(24), Window(7 * 24), Window(30 * 24), Window(90 * 24), days);
    }

    private double? Percent(long from, long to)
    {
        double up = 0, expected = 0;
        for (var hour = from; hour < to; hour += HourMs)
        {
            if (!_hours.TryGetValue(hour, out var h)) continue;
            up += h.Up;
            expected += h.Expected;
        }

        return expected > 0 ? 100 * up / expected : null;
    }

    public static long Floor(long ms, long width) => ms - (((ms % width) + width) % width);
}
