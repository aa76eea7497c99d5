using FluentAssertions;
using SentinelX.App.Features.StatusPages;
using Xunit;
using static SentinelX.App.Features.StatusPages.UptimeHours;

namespace SentinelX.Tests.StatusPages;

/// <summary>The arithmetic of uptime: expected minutes from creation, windows of whole hours, UTC day bars, and how figures are shown.</summary>
public sealed class UptimeTests
{
    /// <summary>2026-11-22 00:00:00 UTC, a day boundary.</summary>
    private const long T0 = 1_795_305_600_000;

    [Fact]
    public void A_node_is_expected_up_only_from_the_minute_it_was_created()
    {
        // Created at 10:20:30 on day 0, counted until 12:00 on day 0: 100 minutes expected, 90 of them up.
        var created = T0 + 10 * HourMs + 20 * MinuteMs + 30_000;
        var end = T0 + 12 * HourMs;
        var up = new Dictionary<long, int> { [T0 + 10 * HourMs] = 40, [T0 + 11 * HourMs] = 50 };

        var summary = ForNode(up, created, end - 90L * 24 * HourMs, end).Summarize(end);

        summary.Day.Should().BeApproximately(100.0 * 90 / 100, 1e-9);
        summary.Quarter.Should().Be(summary.Day, "nothing was expected before the Node existed");
        summary.Days.Should().HaveCount(DaysShown);
        summary.Days[^1].Should().Be(new DayUptime(T0, 90));
        summary.Days.Take(DaysShown - 1).Should().OnlyContain(d => d.Percent == null);
        summary.Days[0].Day.Should().Be(T0 - 89 * DayMs);
    }

    [Fact]
    public void More_up_minutes_than_expected_never_make_more_than_100_percent()
    {
        var end = T0 + 30 * MinuteMs;
        var summary = ForNode(new Dictionary<long, int> { [T0] = 60 }, T0, T0 - 100 * DayMs, end).Summarize(end);

        summary.Day.Should().Be(100);
    }

    [Fact]
    public void Windows_are_whole_hours_ending_with_the_current_one()
    {
        // Down for all of the hour that starts 24 h before the current one; up every other minute.
        var end = T0 + 5 * DayMs + 30 * MinuteMs;
        var up = new Dictionary<long, int>();
        for (var hour = T0; hour < end; hour += HourMs) up[hour] = 60;
        var outage = T0 + 5 * DayMs - 24 * HourMs;
        up[outage] = 0;

        var summary = ForNode(up, T0, T0 - 100 * DayMs, end).Summarize(end);

        summary.Day.Should().Be(100, "the 24 h window is the current hour and the 23 before it");
        summary.Week.Should().BeApproximately(100 * (1 - 60.0 / (5 * 24 * 60 + 30)), 1e-9);
        summary.Days[^2].Percent.Should().BeApproximately(100 * 23.0 / 24, 1e-9);
        summary.Days[^1].Percent.Should().Be(100);
    }

    [Fact]
    public void Probe_hours_add_checks_of_every_node()
    {
        var hours = new UptimeHours();
        hours.Add(T0, up: 118, expected: 120);
        hours.Add(T0, up: 60, expected: 60);
        hours.Add(T0 + HourMs, up: 0, expected: 0);

        var summary = hours.Summarize(T0 + HourMs + 5 * MinuteMs);

        summary.Day.Should().BeApproximately(100 * 178.0 / 180, 1e-9);
        summary.Days[^1].Percent.Should().BeApproximately(100 * 178.0 / 180, 1e-9);
    }

    [Theory]
    [InlineData(null, "—", "none")]
    [InlineData(100.0, "100%", "ok")]
    [InlineData(99.999, "99.99%", "ok")]
    [InlineData(99.5, "99.50%", "ok")]
    [InlineData(99.49, "99.49%", "warn")]
    [InlineData(95.0, "95.00%", "warn")]
    [InlineData(12.345, "12.34%", "bad")]
    public void Percentages_are_rounded_down_and_coloured_by_level(double? percent, string text, string level)
    {
        PublicStatusPage.Percent(percent).Should().Be(text);
        PublicStatusPage.Level(percent).Should().Be(level);
    }

    [Theory]
    [InlineData(1000, 0L, 0L, 60.0)]
    [InlineData(5000, 0L, 0L, 12.0)]
    [InlineData(null, 7_140L, 120L, 59.5)]
    [InlineData(null, 600L, 59L, 60.0)]
    [InlineData(120_000, 0L, 0L, 1.0)]
    public void Samples_per_minute_come_from_the_hello_else_the_minute_rollups_else_one_a_second(int? intervalMs, long samples, long minutes, double expected) =>
        UptimeQuery.SamplesPerMinute(intervalMs, (samples, minutes)).Should().Be(expected);

    [Fact]
    public void Counting_ends_at_a_minute_boundary_behind_the_grace_time()
    {
        UptimeQuery.EndAt(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 5_000)).Should().Be(T0 - MinuteMs);
        UptimeQuery.EndAt(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 15_000)).Should().Be(T0);
        UptimeQuery.StartFor(T0 + MinuteMs).Should().Be(T0 - (90 * 24 - 1) * HourMs);
    }
}
