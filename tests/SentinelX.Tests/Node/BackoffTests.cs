using FluentAssertions;
using SentinelX.Node.Connection;
using Xunit;

namespace SentinelX.Tests.Node;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void Every_delay_lies_between_half_the_ceiling_and_the_ceiling(double draw)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new FixedRandom(draw));
        var expectedCeilings = new[] { 1, 2, 4, 8, 16, 30, 30 };

        foreach (var ceiling in expectedCeilings)
        {
            backoff.Ceiling.Should().Be(TimeSpan.FromSeconds(ceiling));
            var delay = backoff.Next();
            delay.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(ceiling / 2.0))
                .And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(ceiling));
        }
    }

    [Fact]
    public void Reset_starts_again_from_the_initial_delay()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new FixedRandom(1));
        for (var i = 0; i < 5; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        backoff.Ceiling.Should().Be(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_tiny_initial_delay_never_goes_under_100_ms()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1), new FixedRandom(0));

        backoff.Next().Should().Be(TimeSpan.FromMilliseconds(100));
    }

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }
}
