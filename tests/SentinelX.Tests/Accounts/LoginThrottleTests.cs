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

    private void Fail(int times, string address = "10.0.0.1", string user = "admin", LoginStep step = LoginStep.Password)
    {
        for (var i = 0; i < times; i++) _throttle.Failed(step, address, user);
    }

    private TimeSpan? Wait(string address = "10.0.0.1", string user = "admin", LoginStep step = LoginStep.Password) =>
        _throttle.RetryAfter(step, address, user);

    [Fact]
    public void Four_failures_are_free_the_fifth_blocks_for_30_seconds()
    {
        Fail(LoginThrottle.FreeFailures - 1);
        Wait().Should().BeNull();

        Fail(1);
        Wait().Should().Be(TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(29));
        Wait().Should().Be(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));
        Wait().Should().BeNull();
    }

    [Fact]
    public void Each_further_failure_doubles_the_wait_up_to_15_minutes()
    {
        Fail(5);
        Wait().Should().Be(TimeSpan.FromSeconds(30));
        Fail(1);
        Wait().Should().Be(TimeSpan.FromSeconds(60));
        Fail(1);
        Wait().Should().Be(TimeSpan.FromSeconds(120));
        Fail(20);
        Wait().Should().Be(TimeSpan.FromMinutes(15));
    }

    [Fact]
    public void One_address_guessing_many_accounts_is_blocked_for_all_of_them()
    {
        for (var i = 0; i < 5; i++) _throttle.Failed(LoginStep.Password, "10.0.0.1", "user" + i);
        Wait(user: "someone").Should().NotBeNull();
        // Another address and account: free.
        Wait("10.0.0.2", "someone").Should().BeNull();
    }

    [Fact]
    public void Failures_from_one_address_never_block_the_account_from_another()
    {
        // An attacker hammering the admin account from one address for hours...
        for (var hour = 0; hour < 5; hour++)
        {
            Fail(200, "203.0.113.9");
            _time.Advance(TimeSpan.FromMinutes(59));
        }
        Fail(200, "203.0.113.9");
        Wait("203.0.113.9").Should().Be(TimeSpan.FromMinutes(15));
        // ...only slows the owner at another address down a little; it never locks them out.
        Wait("198.51.100.4", "ADMIN").Should().BeNull();
        _throttle.SlowdownFor(LoginStep.Password, "ADMIN").Should().Be(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Many_addresses_together_slow_an_account_down_but_only_boundedly()
    {
        for (var i = 0; i < LoginThrottle.FreeAccountFailures; i++) _throttle.Failed(LoginStep.Password, "10.1.0." + i, "admin");
        _throttle.SlowdownFor(LoginStep.Password, "admin").Should().Be(TimeSpan.Zero);
        _throttle.Failed(LoginStep.Password, "10.1.1.1", "admin");
        _throttle.SlowdownFor(LoginStep.Password, "admin").Should().Be(TimeSpan.FromMilliseconds(500));
        for (var i = 0; i < 1000; i++) _throttle.Failed(LoginStep.Password, "10.2." + (i / 250) + "." + (i % 250), "admin");
        _throttle.SlowdownFor(LoginStep.Password, "admin").Should().Be(TimeSpan.FromSeconds(5));
        Wait("10.9.9.9").Should().BeNull();
        _throttle.SlowdownFor(LoginStep.Code, "admin").Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void Passing_the_password_step_again_does_not_reset_the_code_step()
    {
        Fail(5, step: LoginStep.Code);
        Wait(step: LoginStep.Code).Should().Be(TimeSpan.FromSeconds(30));

        // Back through the password step (a correct password) and on to the code step: still blocked.
        _throttle.Succeeded(LoginStep.Password, "10.0.0.1", "admin");
        Wait(step: LoginStep.Code).Should().Be(TimeSpan.FromSeconds(30));
        Wait(step: LoginStep.Password).Should().BeNull();

        // A wrong code, e.g. a recovery code, keeps doubling.
        _time.Advance(TimeSpan.FromSeconds(30));
        Fail(1, step: LoginStep.Code);
        _throttle.Succeeded(LoginStep.Password, "10.0.0.1", "admin");
        Wait(step: LoginStep.Code).Should().Be(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void A_success_clears_the_record_of_its_step()
    {
        Fail(4);
        _throttle.Succeeded(LoginStep.Password, "10.0.0.1", "admin");
        Fail(4);
        Wait().Should().BeNull();
    }

    [Fact]
    public void Failures_older_than_an_hour_are_forgotten()
    {
        Fail(4);
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Fail(1);
        Wait().Should().BeNull();
    }

    [Fact]
    public void A_flood_of_distinct_names_keeps_memory_bounded_and_hostile_names_are_plain_keys()
    {
        for (var i = 0; i < 30_000; i++) _throttle.Failed(LoginStep.Password, "10.3." + (i % 200) + ".1", "x\n" + new string('é', i % 50) + i);
        // The address that keeps failing is still blocked after the pruning.
        Wait("10.3.7.1", "whoever").Should().NotBeNull();
        Wait("10.4.0.1", "admin\n10.3.7.1").Should().BeNull();
    }
}
