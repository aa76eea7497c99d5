using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Accounts;
using Xunit;

namespace SentinelX.Tests.Accounts;

public sealed class LoginThrottleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly LoginThrottle _throttle;

    public LoginThrottleTests() => _throttle = new LoginThrottle(_time);

    private void Fail(int times, string address = "10.0.0.1", string user = "admin")
    {
        for (var i = 0; i < times; i++) _throttle.Failed(address, user);
    }

    [Fact]
    public void Four_failures_are_free_the_fifth_blocks_for_30_seconds()
    {
        Fail(LoginThrottle.FreeFailures - 1);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().BeNull();

        Fail(1);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().Be(TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(29));
        _throttle.RetryAfter("10.0.0.1", "admin").Should().Be(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        _throttle.RetryAfter("10.0.0.1", "admin").Should().BeNull();
    }

    [Fact]
    public void Each_further_failure_doubles_the_wait_up_to_15_minutes()
    {
        Fail(5);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().Be(TimeSpan.FromSeconds(30));
        Fail(1);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().Be(TimeSpan.FromSeconds(60));
        Fail(1);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().Be(TimeSpan.FromSeconds(120));
        Fail(20);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().Be(TimeSpan.FromMinutes(15));
    }

    [Fact]
    public void The_block_applies_to_the_address_and_to_the_user_name_separately()
    {
        Fail(5, "10.0.0.1", "admin");
        // Same address, another account: still blocked (one client guessing many accounts).
        _throttle.RetryAfter("10.0.0.1", "someone").Should().NotBeNull();
        // Same account from another address, any case: still blocked (many clients guessing one account).
        _throttle.RetryAfter("10.0.0.2", "ADMIN").Should().NotBeNull();
        // Neither: free.
        _throttle.RetryAfter("10.0.0.2", "someone").Should().BeNull();
    }

    [Fact]
    public void A_success_clears_the_record()
    {
        Fail(4);
        _throttle.Succeeded("10.0.0.1", "admin");
        Fail(4);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().BeNull();
    }

    [Fact]
    public void Failures_older_than_an_hour_are_forgotten()
    {
        Fail(4);
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Fail(1);
        _throttle.RetryAfter("10.0.0.1", "admin").Should().BeNull();
    }
}
