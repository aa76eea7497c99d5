using FluentAssertions;
using Microsoft.AspNetCore.Http;
using SentinelX.App.Features.Terminal;
using Xunit;

namespace SentinelX.Tests.Terminal;

public sealed class TerminalEndpointTests
{
    [Theory]
    [InlineData("http://core.example:8080", "core.example:8080", true)]
    [InlineData("https://core.example", "core.example", true)]
    [InlineData("http://CORE.example:8080", "core.example:8080", true)]
    [InlineData("http://[::1]:5000", "[::1]:5000", true)]
    [InlineData("http://evil.example:8080", "core.example:8080", false)]
    [InlineData("http://core.example:8081", "core.example:8080", false)]
    [InlineData("http://core.example.evil.example", "core.example", false)]
    [InlineData("null", "core.example", false)]
    [InlineData("", "core.example", false)]
    [InlineData("file:///etc/passwd", "core.example", false)]
    public void Only_a_page_from_the_same_host_may_open_a_terminal(string origin, string host, bool allowed)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = HostString.FromUriComponent(host);
        if (origin.Length > 0) context.Request.Headers.Origin = origin;
        TerminalEndpoint.IsSameOrigin(context.Request).Should().Be(allowed);
    }

    [Fact]
    public void Signing_out_ends_only_that_users_terminals()
    {
        var sessions = new TerminalSessions(new SentinelX.App.Features.Nodes.NodeRegistry());
        using var a1 = new TerminalSession("a1", "n", "alice", 0);
        using var a2 = new TerminalSession("a2", "n", "alice", 0);
        using var b1 = new TerminalSession("b1", "n", "bob", 0);
        foreach (var s in new[] { a1, a2, b1 }) sessions.Add(s);

        sessions.EndAllFor("alice", TerminalSessions.Logout).Should().Be(2);
        a1.Ending.IsCancellationRequested.Should().BeTrue();
        a2.EndReason.Should().Be(TerminalSessions.Logout);
        b1.Ending.IsCancellationRequested.Should().BeFalse();
        b1.EndReason.Should().BeNull();
        a1.End(TerminalSessions.IdleTimeout);
        a1.EndReason.Should().Be(TerminalSessions.Logout, "the first reason is the one recorded");
        sessions.CountFor("bob").Should().Be(1);
    }

    [Theory]
    [InlineData(30, 16, true)]
    [InlineData(0.05, 1, true)]
    [InlineData(0, 16, false)]
    [InlineData(-1, 16, false)]
    [InlineData(30, 0, false)]
    [InlineData(20000, 16, false)]
    public void Options_are_checked_at_start(double idleMinutes, int maxPerUser, bool valid) =>
        new TerminalOptionsValidator().Validate(null, new TerminalOptions { IdleMinutes = idleMinutes, MaxPerUser = maxPerUser })
            .Succeeded.Should().Be(valid);
}
