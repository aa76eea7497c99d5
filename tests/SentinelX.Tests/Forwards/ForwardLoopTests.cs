using FluentAssertions;
using SentinelX.App.Features.Forwards;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>Rules that would forward into themselves, directly or through other rules, are refused with 422.</summary>
public sealed class ForwardLoopTests
{
    private readonly ForwardValidator _validator = new(ForwardTestNodes.Registry());

    [Theory]
    [InlineData("127.0.0.1:10080")]
    [InlineData("localhost:10080")]
    [InlineData("[::1]:10080")]
    [InlineData("203.0.113.10:10080")] // the address the entry connects from
    [InlineData("10.0.0.1:10080")] // one of its interface addresses
    public void A_target_that_is_the_rules_own_listener_is_refused(string target)
    {
        var problem = (_validator.Validate(ForwardTestNodes.Direct("self", 10080, "10.9.9.9:80", target), "r1", null, [])).Failure;

        problem!.Status.Should().Be(422);
        problem.Title.Should().Be("Forwarding loop");
        problem.Detail.Should().Be($"target {target} is this rule's own listen address (port 10080 on node entry-a): it would forward to itself");
        problem.Errors!["targets"].Should().Equal(problem.Detail);
    }

    [Fact]
    public void The_listen_address_itself_is_recognised()
    {
        var input = ForwardTestNodes.Direct("self", 10080, "172.16.5.5:10080") with { ListenAddress = "172.16.5.5" };
        _validator.Validate(input, "r1", null, []).Failure!.Status.Should().Be(422);
    }

    [Fact]
    public void Same_port_on_another_host_or_another_port_here_is_no_loop()
    {
        _validator.Validate(ForwardTestNodes.Direct("ok", 10080, "10.9.9.9:10080", "127.0.0.1:10081"), "r1", null, []).Failure.Should().BeNull();
        // UDP toward a TCP-only listener cannot loop.
        var tcp = (_validator.Validate(ForwardTestNodes.Direct("tcp", 7000, "192.0.2.30:80"), "r1", null, [])).Value;
        _validator.Validate(ForwardTestNodes.Direct("udp", 7001, "127.0.0.1:7000") with { Protocol = "udp" }, "r2", null, [tcp!]).Failure.Should().BeNull();
    }

    [Fact]
    public void A_cycle_through_other_rules_is_refused()
    {
        // A on a:7000 → c:8000; B on c:8000 → b:9000; the new rule C on b:9000 → a:7000 closes the circle.
        var ruleA = (_validator.Validate(ForwardTestNodes.Direct("A", 7000, "192.0.2.30:8000"), "ra", null, [])).Value;
        var ruleB = (_validator.Validate(ForwardTestNodes.Direct("B", 8000, "198.51.100.20:9000") with { NodeId = "c" }, "rb", null, [ruleA!])).Value;
        ruleB.Should().NotBeNull();

        var problem = (_validator.Validate(ForwardTestNodes.Direct("C", 9000, "203.0.113.10:7000") with { NodeId = "b" }, "rc", null, [ruleA!, ruleB!])).Failure;

        problem!.Status.Should().Be(422);
        problem.Detail.Should().Be("target 203.0.113.10:7000 leads back to this rule: forwarding loop \"C\" → \"A\" → \"B\" → \"C\"");

        // Without B the chain of rules ends at a target outside: no loop.
        _validator.Validate(ForwardTestNodes.Direct("C", 9000, "203.0.113.10:7000") with { NodeId = "b" }, "rc", null, [ruleA!]).Failure.Should().BeNull();
    }

    [Fact]
    public void A_chain_dials_its_targets_from_the_exit_so_loopback_there_means_the_exit()
    {
        var chain = new List<ForwardHopInput> { new() { NodeId = "a" }, new() { NodeId = "c" } };
        // 127.0.0.1:10080 seen from c is not the entry's listener on a.
        _validator.Validate(ForwardTestNodes.Direct("chain", 10080, "127.0.0.1:10080") with { Chain = chain }, "r1", null, []).Failure.Should().BeNull();
        // But the entry's public address is.
        _validator.Validate(ForwardTestNodes.Direct("chain", 10080, "203.0.113.10:10080") with { Chain = chain }, "r1", null, []).Failure!.Status.Should().Be(422);
    }
}
