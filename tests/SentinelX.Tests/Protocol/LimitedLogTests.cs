using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Nodes;
using Xunit;

namespace SentinelX.Tests.Protocol;

public sealed class LimitedLogTests
{
    [Fact]
    public void One_line_a_minute_and_the_next_one_counts_the_skipped()
    {
        var time = new FakeTimeProvider();
        var log = new LimitedLog(time, TimeSpan.FromMinutes(1));
        log.ShouldLog(out var skipped).Should().BeTrue();
        skipped.Should().Be(0);
        for (var i = 0; i < 1000; i++) log.ShouldLog(out _).Should().BeFalse();
        time.Advance(TimeSpan.FromSeconds(59));
        log.ShouldLog(out _).Should().BeFalse();
        time.Advance(TimeSpan.FromSeconds(1));
        log.ShouldLog(out skipped).Should().BeTrue();
        skipped.Should().Be(1001);
    }
}
