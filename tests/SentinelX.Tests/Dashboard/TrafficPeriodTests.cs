using FluentAssertions;
using SentinelX.App.Features.Dashboard;
using Xunit;

namespace SentinelX.Tests.Dashboard;

public sealed class TrafficPeriodTests
{
    private static DateTimeOffset Utc(int y, int m, int d, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, TimeSpan.Zero);

    [Theory]
    [InlineData(1, "2026-11-24T10:00:00Z", "2026-11-01", "2026-12-01")]
    [InlineData(24, "2026-11-24T00:00:00Z", "2026-11-24", "2026-12-24")] // the reset instant belongs to the new period
    [InlineData(24, "2026-11-23T23:59:59Z", "2026-10-24", "2026-11-24")] // one second before it, still the old one
    [InlineData(15, "2026-01-03T08:00:00Z", "2025-12-15", "2026-01-15")] // across the year boundary
    [InlineData(28, "2026-02-28T00:00:00Z", "2026-02-28", "2026-03-28")]
    [InlineData(28, "2026-03-01T12:00:00Z", "2026-02-28", "2026-03-28")]
    [InlineData(28, "2028-02-29T12:00:00Z", "2028-02-28", "2028-03-28")] // leap day
    [InlineData(0, "2026-11-24T10:00:00Z", "2026-11-01", "2026-12-01")] // out of range counts as 1
    [InlineData(31, "2026-11-29T10:00:00Z", "2026-11-28", "2026-12-28")] // and as 28 above it
    public void Period_starts_on_the_reset_day_at_midnight_utc(int resetDay, string now, string start, string end)
    {
        var period = TrafficPeriod.Containing(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture), resetDay);
        period.Start.Should().Be(DateTimeOffset.Parse(start + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        period.End.Should().Be(DateTimeOffset.Parse(end + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Local_offsets_do_not_move_the_period()
    {
        // 2026-12-01 01:00 in Shanghai is still November 30 in UTC: the November period of reset day 1.
        var shanghai = new DateTimeOffset(2026, 12, 1, 1, 0, 0, TimeSpan.FromHours(8));
        TrafficPeriod.Containing(shanghai, 1).Start.Should().Be(Utc(2026, 11, 1));
    }

    [Fact]
    public void Counter_delta_treats_a_smaller_reading_as_a_reboot()
    {
        TrafficMeter.CounterDelta(1000, 1500).Should().Be(500);
        TrafficMeter.CounterDelta(1000, 300).Should().Be(300, "the counter restarted at zero and has counted 300 since");
    }

    [Fact]
    public void Sum_uses_counter_differences_and_the_hour_before_the_period_as_the_start()
    {
        var start = Utc(2026, 11, 1).ToUnixTimeMilliseconds();
        const long h = 3_600_000;
        var hours = new List<HourTraffic>
        {
            new(start - h, 3600, 0, 0, 10_000, 5_000), // October's last hour: only the reading counts
            new(start, 3600, 0, 0, 12_000, 6_000),
            new(start + h, 3600, 0, 0, 15_000, 6_500),
            new(start + 2 * h, 3600, 0, 0, 400, 100), // rebooted
        };
        var (rx, tx, rxCounter, txCounter) = TrafficMeter.Sum(hours, start);
        rx.Should().Be(2_000 + 3_000 + 400);
        tx.Should().Be(1_000 + 500 + 100);
        (rxCounter, txCounter).Should().Be((400L, 100L));
    }

    [Fact]
    public void Sum_estimates_a_first_hour_without_an_earlier_reading_from_the_average_rate()
    {
        var start = Utc(2026, 11, 1).ToUnixTimeMilliseconds();
        var hours = new List<HourTraffic> { new(start + 5 * 3_600_000, 1800, 100, 50, 9_999_999, 8_888_888) };
        var (rx, tx, _, _) = TrafficMeter.Sum(hours, start);
        rx.Should().Be(180_000, "100 B/s over 1800 one-second samples, not the counter since boot");
        tx.Should().Be(90_000);
    }
}
