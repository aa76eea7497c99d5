using FluentAssertions;
using SentinelX.App.Features.Docker;
using Xunit;

namespace SentinelX.Tests.Docker;

public sealed class UsageHistoryTests
{
    [Fact]
    public void Keeps_the_last_readings_per_container_and_forgets_removed_ones()
    {
        var history = new UsageHistory();
        for (var i = 0; i < UsageHistory.Points + 5; i++)
            history.Add([("a", i), ("b", null)]);

        history.Cpu("a").Should().HaveCount(UsageHistory.Points).And.StartWith(5).And.EndWith(UsageHistory.Points + 4);
        history.Cpu("b").Should().BeEmpty("a stopped container has no CPU reading");

        history.Add([("b", 1.0)]);
        history.Cpu("a").Should().BeEmpty();
        history.Cpu("b").Should().Equal(1.0);
    }

    [Fact]
    public void The_sparkline_ends_at_the_right_edge_and_scales_to_the_highest_reading()
    {
        UsageHistory.Polyline([50.0], 80, 22).Should().BeEmpty("one point is not a line");
        var x = (80 - 80.0 / (UsageHistory.Points - 1)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        UsageHistory.Polyline([0.0, 250.0], 80, 22).Split(' ').Should().Equal($"{x},22", "80,1");
        UsageHistory.Polyline([0.2, 0.4], 80, 22).Split(' ').Should().Equal(new[] { $"{x},17.8", "80,13.6" }, "below 1 % the scale stays at 1 %");
    }
}
