using System.Net;
using FluentAssertions;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Layout;
using Xunit;

namespace SentinelX.Tests.Layout;

public sealed class TransportSecurityTests
{
    [Theory]
    [InlineData("http://0.0.0.0:5080", true)]
    [InlineData("http://*:5080", true)]
    [InlineData("http://[::]:5080", true)]
    [InlineData("http://192.0.2.10:5080", true)]
    [InlineData("http://127.0.0.1:5080", false)]
    [InlineData("http://localhost:5080", false)]
    [InlineData("http://[::1]:5080", false)]
    [InlineData("https://0.0.0.0:5443", false)]
    public void Plain_http_beyond_loopback_is_recognised(string url, bool exposed) =>
        TransportSecurity.PlainHttpBeyondLoopback(url).Any().Should().Be(exposed);

    [Fact]
    public void Several_urls_report_only_the_exposed_plain_ones() =>
        TransportSecurity.PlainHttpBeyondLoopback("https://0.0.0.0:443;http://127.0.0.1:5080;http://0.0.0.0:80")
            .Should().Equal("http://0.0.0.0:80");

    [Fact]
    public void Known_proxies_are_addresses_and_networks_and_nothing_else()
    {
        var (proxies, networks, problems) = TransportSecurity.ParseProxies("10.0.0.5, 192.168.0.0/16 ::1;fd00::/8");
        proxies.Should().Equal(IPAddress.Parse("10.0.0.5"), IPAddress.IPv6Loopback);
        networks.Select(n => n.ToString()).Should().Equal("192.168.0.0/16", "fd00::/8");
        problems.Should().BeEmpty();

        TransportSecurity.ParseProxies("").Proxies.Should().BeEmpty();
        TransportSecurity.ParseProxies(null).Problems.Should().BeEmpty();
        TransportSecurity.ParseProxies("proxy.example, 10.0.0.0/99, 1.2.3.4/8x, *, 0.0.0.0/0'--").Problems.Should().HaveCount(5);
    }
}

public sealed class SetupCodeTests
{
    [Fact]
    public void Without_a_printed_code_only_a_loopback_visitor_may_set_up()
    {
        using var setup = new SetupState(TimeProvider.System);
        setup.Accepts(null, IPAddress.Loopback).Should().BeTrue();
        setup.Accepts(null, IPAddress.IPv6Loopback).Should().BeTrue();
        setup.Accepts(null, IPAddress.Parse("192.0.2.5")).Should().BeFalse();
        setup.Accepts("", IPAddress.Parse("192.0.2.5")).Should().BeFalse();
        setup.Accepts(null, null).Should().BeFalse();
    }
}
