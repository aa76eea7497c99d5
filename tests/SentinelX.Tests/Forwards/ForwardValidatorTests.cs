using FluentAssertions;
using SentinelX.App.Features.Forwards;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>What the Core refuses before a rule reaches any Node, and the defaults it fills in for chains.</summary>
public sealed class ForwardValidatorTests
{
    private readonly ForwardValidator _validator = new(ForwardTestNodes.Registry());

    public static TheoryData<string, string, string> Refusals => new()
    {
        // case, field, message
        { "no-name", "name", "name is required" },
        { "long-name", "name", "name must be at most 100 characters" },
        { "protocol", "protocol", "protocol must be tcp, udp or tcp+udp" },
        { "balance", "balance", "balance must be roundrobin or failover" },
        { "mode", "mode", "mode must be userspace or kernel" },
        { "quota-action", "quotaAction", "quotaAction must be block or throttle" },
        { "port-0", "listenPort", "listenPort must be within 1 to 65535" },
        { "port-65536", "listenPort", "listenPort must be within 1 to 65535" },
        { "listen-name", "listenAddress", "listenAddress must be an IP address such as 0.0.0.0" },
        { "proxy-3", "proxyProtocol", "proxyProtocol must be 0 (off), 1 or 2" },
        { "bandwidth", "bandwidthMbps", "bandwidthMbps must be 0 (unlimited) or more" },
        { "connections", "maxConnections", "maxConnections must be 0 (unlimited) or more" },
        { "reset-0", "resetDay", "resetDay must be within 1 to 28" },
        { "reset-29", "resetDay", "resetDay must be within 1 to 28" },
        { "no-targets", "targets", "at least one target (host:port) is required" },
        { "17-targets", "targets", "at most 16 targets" },
        { "target-no-port", "targets[0]", "\"10.0.0.5\" is not host:port or [IPv6]:port with a valid host name and a port within 1 to 65535" },
        { "target-bad-host", "targets[0]", "\"bad_host!:80\" is not host:port or [IPv6]:port with a valid host name and a port within 1 to 65535" },
        { "target-bare-v6", "targets[0]", "\"::1:80\" is not host:port or [IPv6]:port with a valid host name and a port within 1 to 65535" },
        { "kernel-chain", "chain", "kernel mode cannot use a relay chain" },
        { "kernel-bandwidth", "bandwidthMbps", "kernel mode cannot limit bandwidth; use userspace mode" },
        { "kernel-proxy", "proxyProtocol", "kernel mode cannot send the PROXY protocol; use userspace mode" },
        { "one-hop", "chain", "a chain has 2 to 8 hops (entry first, exit last)" },
        { "nine-hops", "chain", "a chain has 2 to 8 hops (entry first, exit last)" },
        { "twice", "chain[2].nodeId", "node a appears twice in the chain" },
        { "first-not-entry", "chain[0].nodeId", "the first hop must be the entry node (nodeId)" },
        { "transport", "chain[1].transport", "transport must be tcp, tls, ws or wss" },
        { "path", "chain[1].path", "path must start with / and contain no spaces or control characters (200 characters at most)" },
        { "no-entry", "nodeId", "nodeId is required (or the first hop's nodeId when a chain is given)" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Bad_input_is_refused_with_400_naming_the_field(string @case, string field, string message)
    {
        var input = Break(@case, ForwardTestNodes.Direct());

        var result = _validator.Validate(input, "r1", null, []);
        var rule = result.Value;
        var problem = result.Failure;

        rule.Should().BeNull();
        problem!.Status.Should().Be(400);
        problem.Errors!.Should().ContainKey(field);
        problem.Errors![field].Should().Contain(message);
        problem.Detail.Should().Contain(message);
    }

    [Fact]
    public void An_unknown_node_is_a_404_with_the_field_named()
    {
        var problem = (_validator.Validate(ForwardTestNodes.Direct() with { NodeId = "nope" }, "r1", null, [])).Failure;
        problem!.Status.Should().Be(404);
        problem.Errors!["nodeId"].Should().Equal("there is no node with id nope");

        problem = (_validator.Validate(ForwardTestNodes.Direct() with { Chain = [new() { NodeId = "a" }, new() { NodeId = "ghost" }] }, "r1", null, [])).Failure;
        problem!.Status.Should().Be(404);
        problem.Errors!["chain[1].nodeId"].Should().Equal("there is no node with id ghost");
    }

    [Fact]
    public void Valid_input_becomes_a_rule_with_every_setting()
    {
        var input = ForwardTestNodes.Direct("web", 10080, "10.0.0.5:80", "backup.example:80", "[2001:db8::1]:443") with
        {
            Protocol = "tcp+udp", Balance = "failover", BandwidthMbps = 50, MaxConnections = 10, ProxyProtocol = 2, QuotaBytes = 1 << 30,
            QuotaAction = "throttle", QuotaThrottleMbps = 2, ResetDay = 15, ListenAddress = "::",
        };

        var result = _validator.Validate(input, "r1", null, []);
        var rule = result.Value;
        var problem = result.Failure;

        problem.Should().BeNull();
        rule!.Id.Should().Be("r1");
        rule.NodeId.Should().Be("a");
        rule.Targets.Should().Equal("10.0.0.5:80", "backup.example:80", "[2001:db8::1]:443");
        rule.ListenAddress.Should().Be("::");
        (rule.Protocol, rule.Balance, rule.BandwidthMbps, rule.MaxConnections, rule.ProxyProtocol).Should().Be(("tcp+udp", "failover", 50d, 10, 2));
        (rule.QuotaBytes, rule.QuotaAction, rule.QuotaThrottleMbps, rule.ResetDay).Should().Be((1L << 30, "throttle", 2d, 15));
        rule.Chain.Should().BeEmpty();
    }

    [Fact]
    public void A_hop_without_a_transport_is_tls_in_the_api_and_in_the_form()
    {
        var input = System.Text.Json.JsonSerializer.Deserialize<ForwardInput>(
            """{"name":"t","protocol":"tcp","listenPort":10080,"targets":["10.0.0.5:80"],"chain":[{"nodeId":"a"},{"nodeId":"b"}]}""",
            System.Text.Json.JsonSerializerOptions.Web)!;

        var result = _validator.Validate(input, "r1", null, []);
        var rule = result.Value;
        var problem = result.Failure;

        problem.Should().BeNull();
        rule!.Chain[1].Transport.Should().Be(HopTransports.Tls, "a hop nobody chose a transport for is authenticated and encrypted");
        new SentinelX.App.Features.Forwards.HopForm().Transport.Should().Be(HopTransports.Tls);
    }

    [Fact]
    public void Chain_hops_get_the_nodes_address_a_free_port_and_their_own_secret()
    {
        var input = ForwardTestNodes.Direct() with
        {
            NodeId = null,
            Chain = [new() { NodeId = "a" }, new() { NodeId = "b", Transport = "ws", Path = "/tunnel", HostHeader = "cdn.example.com" }, new() { NodeId = "c", Transport = "tls" }],
        };

        var result = _validator.Validate(input, "r1", null, []);
        var rule = result.Value;
        var problem = result.Failure;

        problem.Should().BeNull();
        rule!.NodeId.Should().Be("a", "the first hop is the entry when nodeId is omitted");
        var chain = rule.Chain;
        chain.Select(h => h.NodeId).Should().Equal("a", "b", "c");
        chain[1].Should().BeEquivalentTo(new { Transport = "ws", Host = "198.51.100.20", Port = 20000, Path = "/tunnel", HostHeader = "cdn.example.com" });
        chain[2].Should().BeEquivalentTo(new { Transport = "tls", Host = "192.0.2.30", Port = 20000, Path = "/" });
        chain[1].Secret.Should().HaveCount(HopPreamble.SecretLength);
        chain[2].Secret.Should().HaveCount(HopPreamble.SecretLength).And.NotEqual(chain[1].Secret);

        // A second rule through b gets the next free port there; an update keeps ports and secrets.
        var second = (_validator.Validate(input with { Name = "second", ListenPort = 10081 }, "r2", null, [rule])).Value;
        second!.Chain[1].Port.Should().Be(20001);
        var updated = (_validator.Validate(input with { Targets = ["10.0.0.6:80"] }, "r1", rule, [rule, second])).Value;
        updated!.Chain[1].Port.Should().Be(20000);
        updated.Chain[1].Secret.Should().Equal(chain[1].Secret);
    }

    [Fact]
    public void A_port_another_rule_holds_on_the_same_node_is_a_409()
    {
        var web = (_validator.Validate(ForwardTestNodes.Direct("web", 10080), "r1", null, [])).Value;

        var problem = (_validator.Validate(ForwardTestNodes.Direct("api", 10080), "r2", null, [web!])).Failure;

        problem!.Status.Should().Be(409);
        problem.Detail.Should().Be("port 10080/tcp on node a is already used by rule \"web\"");
        problem.Errors!["listenPort"].Should().Equal(problem.Detail);

        // UDP on the same port, another node, or the rule itself (an update) do not conflict.
        _validator.Validate(ForwardTestNodes.Direct("dns", 10080) with { Protocol = "udp" }, "r2", null, [web!]).Failure.Should().BeNull();
        _validator.Validate(ForwardTestNodes.Direct("other", 10080) with { NodeId = "b" }, "r2", null, [web!]).Failure.Should().BeNull();
        _validator.Validate(ForwardTestNodes.Direct("web", 10080), "r1", web, [web!]).Failure.Should().BeNull();
        // Two specific addresses on one node do not overlap; a wildcard overlaps everything.
        var one = (_validator.Validate(ForwardTestNodes.Direct("one", 9000) with { ListenAddress = "10.0.0.1" }, "r3", null, [])).Value;
        _validator.Validate(ForwardTestNodes.Direct("two", 9000) with { ListenAddress = "203.0.113.10" }, "r4", null, [one!]).Failure.Should().BeNull();
        _validator.Validate(ForwardTestNodes.Direct("all", 9000), "r4", null, [one!]).Failure!.Status.Should().Be(409);
    }

    [Fact]
    public void A_port_another_rules_hop_listener_holds_is_a_409()
    {
        var chained = ForwardTestNodes.Direct("chained", 10080) with { Chain = [new() { NodeId = "a" }, new() { NodeId = "b", Port = 30000 }] };
        var result = _validator.Validate(chained, "r1", null, []);
        var rule = result.Value;
        var problem = result.Failure;
        problem.Should().BeNull();

        problem = (_validator.Validate(ForwardTestNodes.Direct("direct", 30000) with { NodeId = "b" }, "r2", null, [rule!])).Failure;

        problem!.Status.Should().Be(409);
        problem.Detail.Should().Be("port 30000/tcp on node b is already used by the hop listener of rule \"chained\"");
    }

    private static ForwardInput Break(string @case, ForwardInput ok) => @case switch
    {
        "no-name" => ok with { Name = "  " },
        "long-name" => ok with { Name = new string('x', 101) },
        "protocol" => ok with { Protocol = "sctp" },
        "balance" => ok with { Balance = "random" },
        "mode" => ok with { Mode = "ebpf" },
        "quota-action" => ok with { QuotaAction = "drop" },
        "port-0" => ok with { ListenPort = 0 },
        "port-65536" => ok with { ListenPort = 65536 },
        "listen-name" => ok with { ListenAddress = "example.com" },
        "proxy-3" => ok with { ProxyProtocol = 3 },
        "bandwidth" => ok with { BandwidthMbps = -1 },
        "connections" => ok with { MaxConnections = -1 },
        "reset-0" => ok with { ResetDay = 0 },
        "reset-29" => ok with { ResetDay = 29 },
        "no-targets" => ok with { Targets = [] },
        "17-targets" => ok with { Targets = [.. Enumerable.Range(1, 17).Select(i => $"10.0.0.{i}:80")] },
        "target-no-port" => ok with { Targets = ["10.0.0.5"] },
        "target-bad-host" => ok with { Targets = ["bad_host!:80"] },
        "target-bare-v6" => ok with { Targets = ["::1:80"] },
        "kernel-chain" => ok with { Mode = "kernel", Chain = [new() { NodeId = "a" }, new() { NodeId = "b" }] },
        "kernel-bandwidth" => ok with { Mode = "kernel", BandwidthMbps = 10 },
        "kernel-proxy" => ok with { Mode = "kernel", ProxyProtocol = 1 },
        "one-hop" => ok with { Chain = [new() { NodeId = "a" }] },
        "nine-hops" => ok with { Chain = [.. Enumerable.Range(0, 9).Select(i => new ForwardHopInput { NodeId = i == 0 ? "a" : "b" })] },
        "twice" => ok with { Chain = [new() { NodeId = "a" }, new() { NodeId = "b" }, new() { NodeId = "a" }] },
        "first-not-entry" => ok with { Chain = [new() { NodeId = "b" }, new() { NodeId = "c" }] },
        "transport" => ok with { Chain = [new() { NodeId = "a" }, new() { NodeId = "b", Transport = "quic" }] },
        "path" => ok with { Chain = [new() { NodeId = "a" }, new() { NodeId = "b", Transport = "ws", Path = "no-slash" }] },
        "no-entry" => ok with { NodeId = null },
        _ => throw new ArgumentOutOfRangeException(nameof(@case)),
    };
}
