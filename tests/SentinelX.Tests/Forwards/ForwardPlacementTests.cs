using FluentAssertions;
using SentinelX.App.Features.Forwards;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>A stored rule becomes exactly the placements docs/protocol.md describes for each of its Nodes.</summary>
public sealed class ForwardPlacementTests
{
    private readonly ForwardValidator _validator = new(ForwardTestNodes.Registry());

    [Fact]
    public void A_direct_rule_is_one_entry_placement_with_targets_limits_and_proxy_protocol()
    {
        var rule = (_validator.Validate(ForwardTestNodes.Direct("web", 10080, "10.0.0.5:80", "10.0.0.6:80") with
        {
            BandwidthMbps = 100, MaxConnections = 50, ProxyProtocol = 1, QuotaBytes = 5_000_000, ResetDay = 3, UdpIdleSeconds = 30,
        }, "r1", null, [])).Value;

        var placements = ForwardPlacements.Compile(rule!);

        placements.Should().ContainSingle();
        var (nodeId, role, p) = placements[0];
        (nodeId, role).Should().Be(("a", "entry"));
        p.Listen.Should().Be(new ForwardListen { Address = "0.0.0.0", Port = 10080 });
        p.HopIn.Should().BeNull();
        p.Next.Should().BeNull();
        p.Targets.Should().Equal("10.0.0.5:80", "10.0.0.6:80");
        (p.BandwidthMbps, p.MaxConnections, p.ProxyProtocol, p.UdpIdleSeconds).Should().Be((100d, 50, 1, 30));
        p.Quota.Should().Be(new ForwardQuota { Bytes = 5_000_000, Action = "block", ThrottleMbps = 1, ResetDay = 3 });
        ForwardPlacements.NeedsCredentials([p]).Should().BeFalse();
    }

    [Fact]
    public void A_two_hop_chain_puts_limits_on_the_entry_and_targets_on_the_exit()
    {
        var rule = (_validator.Validate(ForwardTestNodes.Direct("two", 10080, "10.0.0.5:80") with
        {
            BandwidthMbps = 20, ProxyProtocol = 2, Protocol = "tcp+udp",
            Chain = [new() { NodeId = "a" }, new() { NodeId = "c", Transport = "tls", Port = 24000 }],
        }, "r1", null, [])).Value;

        var placements = ForwardPlacements.Compile(rule!);

        placements.Select(p => (p.NodeId, p.Role)).Should().Equal(("a", "entry"), ("c", "exit"));
        var entry = placements[0].Placement;
        var exit = placements[1].Placement;
        var secret = rule!.Chain[1].Secret;

        entry.Listen!.Port.Should().Be(10080);
        entry.Targets.Should().BeEmpty();
        entry.BandwidthMbps.Should().Be(20);
        entry.ProxyProtocol.Should().Be(0, "the PROXY header is sent where the target is dialled");
        entry.Next.Should().BeEquivalentTo(new { Transport = "tls", Host = "192.0.2.30", Port = 24000, Path = "/", PeerNodeId = "c" });
        entry.Next!.Secret.Should().Equal(secret);

        exit.Listen.Should().BeNull();
        exit.HopIn.Should().BeEquivalentTo(new { Transport = "tls", Address = "0.0.0.0", Port = 24000, PeerNodeId = "a" });
        exit.HopIn!.Secret.Should().Equal(secret);
        exit.Next.Should().BeNull();
        exit.Targets.Should().Equal("10.0.0.5:80");
        (exit.ProxyProtocol, exit.BandwidthMbps, exit.MaxConnections, exit.Quota).Should().Be((2, 0d, 0, (ForwardQuota?)null));
        exit.Protocol.Should().Be("tcp+udp");
        ForwardPlacements.NeedsCredentials([entry]).Should().BeTrue();
        ForwardPlacements.NeedsCredentials([exit]).Should().BeTrue();
    }

    [Fact]
    public void A_three_hop_chain_has_a_relay_that_listens_for_the_entry_and_dials_the_exit()
    {
        var rule = (_validator.Validate(ForwardTestNodes.Direct("three", 10080, "10.0.0.5:80") with
        {
            Chain =
            [
                new() { NodeId = "a" },
                new() { NodeId = "b", Transport = "tcp" },
                new() { NodeId = "c", Transport = "wss", Host = "exit.example.com", Port = 443, Path = "/ws", HostHeader = "cdn.example.net" },
            ],
        }, "r1", null, [])).Value;

        var placements = ForwardPlacements.Compile(rule!);

        placements.Select(p => (p.NodeId, p.Role)).Should().Equal(("a", "entry"), ("b", "relay"), ("c", "exit"));
        var (entry, relay, exit) = (placements[0].Placement, placements[1].Placement, placements[2].Placement);
        entry.Next.Should().BeEquivalentTo(new { Transport = "tcp", Host = "198.51.100.20", Port = 20000, PeerNodeId = "b" });
        relay.HopIn.Should().BeEquivalentTo(new { Transport = "tcp", Port = 20000, PeerNodeId = "a" });
        relay.HopIn!.Secret.Should().Equal(entry.Next!.Secret);
        relay.Next.Should().BeEquivalentTo(new { Transport = "wss", Host = "exit.example.com", Port = 443, Path = "/ws", HostHeader = "cdn.example.net", PeerNodeId = "c" });
        relay.Targets.Should().BeEmpty();
        exit.HopIn.Should().BeEquivalentTo(new { Transport = "wss", Port = 443, Path = "/ws", PeerNodeId = "b" });
        exit.HopIn!.Secret.Should().Equal(relay.Next!.Secret).And.NotEqual(entry.Next.Secret);
        exit.Targets.Should().Equal("10.0.0.5:80");
        placements.Should().OnlyContain(p => p.Placement.RuleId == "r1" && p.Placement.Name == "three");
        ForwardPlacements.NeedsCredentials([entry]).Should().BeFalse();
        ForwardPlacements.NeedsCredentials([relay]).Should().BeTrue();
    }
}
