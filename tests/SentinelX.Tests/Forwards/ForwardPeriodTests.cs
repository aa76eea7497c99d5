using FluentAssertions;
using SentinelX.App.Features.Forwards;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>Monthly totals start on the rule's reset day at 00:00 UTC.</summary>
public sealed class ForwardPeriodTests
{
    [Theory]
    [InlineData("2026-12-15T10:00:00Z", 1, "2026-12-01T00:00:00Z")]
    [InlineData("2026-12-15T10:00:00Z", 15, "2026-12-15T00:00:00Z")]
    [InlineData("2026-12-14T23:59:59Z", 15, "2026-11-15T00:00:00Z")]
    [InlineData("2026-01-10T00:00:00Z", 28, "2025-12-28T00:00:00Z")]
    [InlineData("2026-03-01T00:00:00Z", 1, "2026-03-01T00:00:00Z")]
    public void The_period_starts_on_the_last_reset_day(string now, int resetDay, string start) =>
        ForwardPeriods.Start(DateTimeOffset.Parse(now), resetDay).Should().Be(DateTimeOffset.Parse(start));

    [Fact]
    public void Recent_periods_are_contiguous_newest_first()
    {
        var periods = ForwardPeriods.Recent(DateTimeOffset.Parse("2026-02-20T08:00:00Z"), 25, 3);

        periods.Select(p => p.Start).Should().Equal(
            DateTimeOffset.Parse("2026-01-25T00:00:00Z"), DateTimeOffset.Parse("2025-12-25T00:00:00Z"), DateTimeOffset.Parse("2025-11-25T00:00:00Z"));
        periods[0].End.Should().Be(DateTimeOffset.Parse("2026-02-25T00:00:00Z"));
        periods[1].End.Should().Be(periods[0].Start);
    }

    [Fact]
    public void Chart_buckets_give_about_300_points_and_never_go_below_the_stored_resolution()
    {
        ForwardPeriods.BucketMs(TimeSpan.FromHours(1), hourly: false).Should().Be(60_000);
        ForwardPeriods.BucketMs(TimeSpan.FromHours(24), hourly: false).Should().Be(240_000);
        ForwardPeriods.BucketMs(TimeSpan.FromDays(7), hourly: true).Should().Be(3_600_000);
        ForwardPeriods.BucketMs(TimeSpan.FromDays(30), hourly: true).Should().Be(2 * 3_600_000);
    }
}
