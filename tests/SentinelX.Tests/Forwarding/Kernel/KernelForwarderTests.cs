using System.Security.Cryptography;
using FluentAssertions;
using SentinelX.Node.Forwarding.Kernel;
using SentinelX.Shared.Protocol;
using Xunit;
using static SentinelX.Tests.Forwarding.Kernel.KernelNetnsLab;

namespace SentinelX.Tests.Forwarding.Kernel;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelCollection
{
    public const string Name = "kernel forwarding";
}

/// <summary>
/// Kernel-mode forwards in real namespaces: the forwarder runs its nft/iptables commands inside the
/// router namespace, real bytes go from the client namespace through the router's listen port to a
/// socat server in the target namespace, and the rule's counters are checked against what was sent.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class KernelForwarderTests : IAsyncLifetime
{
    private KernelNetnsLab _lab = null!;

    public async Task InitializeAsync() => _lab = await KernelNetnsLab.CreateAsync();

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task Tcp_bytes_reach_the_target_intact_both_ways_and_are_counted(string firewall)
    {
        var kind = Kind(firewall);
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8080,bind={Target},reuseaddr,fork", "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        await forwarder.ResetAsync(CancellationToken.None);

        var errors = await forwarder.ApplyAsync([Rule("web", ForwardProtocols.Tcp, 10080, $"{Target}:8080")], CancellationToken.None);
        errors.Should().BeEmpty();

        var dir = Directory.CreateTempSubdirectory("sx-kernel-").FullName;
        try
        {
            var sent = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
            await File.WriteAllBytesAsync(Path.Combine(dir, "in"), sent);
            await ShAsync(_lab.Client, $"socat -t 10 - TCP:{RouterClientSide}:10080 < {dir}/in > {dir}/out");
            var echoed = await File.ReadAllBytesAsync(Path.Combine(dir, "out"));
            SHA256.HashData(echoed).Should().Equal(SHA256.HashData(sent), "the target echoes exactly what it received");

            var counters = (await forwarder.ReadCountersAsync(CancellationToken.None))["web"];
            // IP and TCP headers come on top of the payload: about 52 bytes per 1448 bytes sent.
            counters.BytesIn.Should().BeInRange(sent.Length, (long)(sent.Length * 1.08));
            counters.BytesOut.Should().BeInRange(sent.Length, (long)(sent.Length * 1.08));
            counters.ConnectionsTotal.Should().Be(1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task Udp_datagrams_are_forwarded_and_answered(string firewall)
    {
        var kind = Kind(firewall);
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"UDP-RECVFROM:5300,bind={Target},fork", "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        // Bound to one address this time: the rules then match that address instead of "any local one".
        var rule = Rule("dns", ForwardProtocols.TcpUdp, 10053, $"{Target}:5300") with
        {
            Listen = new ForwardListen { Address = RouterClientSide, Port = 10053 },
        };
        var errors = await forwarder.ApplyAsync([rule], CancellationToken.None);
        errors.Should().BeEmpty();

        var payload = "udp-through-the-kernel-" + new string('x', 1000);
        var answer = await ShAsync(_lab.Client, $"echo {payload} | socat -T 3 - UDP:{RouterClientSide}:10053");
        answer.Trim().Should().Be(payload);

        var counters = (await forwarder.ReadCountersAsync(CancellationToken.None))["dns"];
        // One datagram each way: payload, newline, 8 bytes UDP and 20 bytes IP header.
        counters.BytesIn.Should().Be(payload.Length + 1 + 28);
        counters.BytesOut.Should().Be(payload.Length + 1 + 28);
        counters.ConnectionsTotal.Should().Be(1);
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task An_open_connection_is_reported_active(string firewall)
    {
        var kind = Kind(firewall);
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8080,bind={Target},reuseaddr,fork", "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        (await forwarder.ApplyAsync([Rule("web", ForwardProtocols.Tcp, 10080, $"{Target}:8080")], CancellationToken.None)).Should().BeEmpty();

        await _lab.StartServerAsync(_lab.Client, "sh", "-c", $"sleep 30 | socat - TCP:{RouterClientSide}:10080");
        var active = 0;
        for (var i = 0; i < 50 && active == 0; i++)
        {
            active = (await forwarder.ReadCountersAsync(CancellationToken.None))["web"].ConnectionsActive;
            if (active == 0) await Task.Delay(100);
        }

        active.Should().Be(1);
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task Applying_a_new_set_removes_the_old_rule_and_keeps_the_counters_of_rules_that_stay(string firewall)
    {
        var kind = Kind(firewall);
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8080,bind={Target},reuseaddr,fork", "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        var a = Rule("a", ForwardProtocols.Tcp, 10080, $"{Target}:8080");
        var b = Rule("b", ForwardProtocols.Tcp, 10081, $"{Target}:8080");
        (await forwarder.ApplyAsync([a, b], CancellationToken.None)).Should().BeEmpty();

        (await ShAsync(_lab.Client, $"echo first | socat -t 5 - TCP:{RouterClientSide}:10081")).Should().Be("first\n");
        var before = (await forwarder.ReadCountersAsync(CancellationToken.None))["b"];
        before.BytesIn.Should().BePositive();

        // b is re-pushed with another listen port; a is gone.
        (await forwarder.ApplyAsync([b with { Listen = new ForwardListen { Port = 10082 } }], CancellationToken.None)).Should().BeEmpty();

        var refused = await TryRunAsync("ip", "netns", "exec", _lab.Client, "socat", "-T", "3", "-", $"TCP:{RouterClientSide}:10080");
        refused.Code.Should().NotBe(0);
        refused.Stderr.Should().Contain("Connection refused");
        (await ShAsync(_lab.Client, $"echo second | socat -t 5 - TCP:{RouterClientSide}:10082")).Should().Be("second\n");

        var counters = await forwarder.ReadCountersAsync(CancellationToken.None);
        counters.Keys.Should().Equal("b");
        counters["b"].BytesIn.Should().BeGreaterThan(before.BytesIn);
        counters["b"].ConnectionsTotal.Should().Be(2);

        var ruleset = await FirewallTextAsync(kind);
        ruleset.Should().NotContain("sx:a ").And.Contain("sx:b ");
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task A_client_on_the_router_itself_is_forwarded_and_counted(string firewall)
    {
        var kind = Kind(firewall);
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8080,bind={Target},reuseaddr,fork", "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        (await forwarder.ApplyAsync([Rule("web", ForwardProtocols.Tcp, 10080, $"{Target}:8080")], CancellationToken.None)).Should().BeEmpty();

        var payload = new string('r', 5000);
        (await ShAsync(_lab.Router, $"echo {payload} | socat -t 5 - TCP:{RouterClientSide}:10080")).Trim().Should().Be(payload);

        var counters = (await forwarder.ReadCountersAsync(CancellationToken.None))["web"];
        counters.BytesIn.Should().BeInRange(payload.Length + 1, payload.Length + 1 + 1000);
        counters.BytesOut.Should().BeInRange(payload.Length + 1, payload.Length + 1 + 1000);
        counters.ConnectionsTotal.Should().Be(1);
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task An_empty_set_removes_the_table(string firewall)
    {
        var kind = Kind(firewall);
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        (await forwarder.ApplyAsync([Rule("web", ForwardProtocols.Tcp, 10080, $"{Target}:8080")], CancellationToken.None)).Should().BeEmpty();
        (await FirewallTextAsync(kind)).Should().Contain("sx:web");

        (await forwarder.ApplyAsync([], CancellationToken.None)).Should().BeEmpty();

        (await RunAsync("ip", "netns", "exec", _lab.Router, "nft", "list", "tables")).Should().NotContain("sentinelx");
        (await RunAsync("ip", "netns", "exec", _lab.Router, "iptables-save")).Should().NotContain("sx:web");
        (await forwarder.ReadCountersAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task Reset_leaves_nothing_behind(string firewall)
    {
        var kind = Kind(firewall);
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        (await forwarder.ApplyAsync([Rule("web", ForwardProtocols.TcpUdp, 10080, $"{Target}:8080")], CancellationToken.None)).Should().BeEmpty();
        (await FirewallTextAsync(kind)).Should().Contain("sx:web");

        // A fresh forwarder, as after a crash and restart, knows nothing but still cleans up.
        await new KernelForwarder(_lab.InRouter, kind).ResetAsync(CancellationToken.None);

        (await RunAsync("ip", "netns", "exec", _lab.Router, "nft", "list", "tables")).Should().NotContain("sentinelx");
        (await RunAsync("ip", "netns", "exec", _lab.Router, "iptables-save")).Should().NotContain("SENTINELX").And.NotContain("sx:");
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task Round_robin_spreads_connections_over_the_targets(string firewall)
    {
        var kind = Kind(firewall);
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8081,bind={Target},reuseaddr,fork", "SYSTEM:echo one");
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8082,bind={Target},reuseaddr,fork", "SYSTEM:echo two");
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        var rule = Rule("rr", ForwardProtocols.Tcp, 10080, $"{Target}:8081") with { Targets = [$"{Target}:8081", $"{Target}:8082"] };
        (await forwarder.ApplyAsync([rule], CancellationToken.None)).Should().BeEmpty();

        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
            answers.Add((await ShAsync(_lab.Client, $"socat -t 5 - TCP:{RouterClientSide}:10080 < /dev/null")).Trim());

        answers.Should().BeEquivalentTo(["one", "two", "one", "two"]);
    }

    [Fact]
    public async Task Rules_the_kernel_cannot_run_get_exact_errors_and_the_rest_are_installed()
    {
        var forwarder = new KernelForwarder(_lab.InRouter);
        var good = Rule("good", ForwardProtocols.Tcp, 10080, $"{Target}:8080");
        var errors = await forwarder.ApplyAsync(
        [
            good,
            Rule("clash", ForwardProtocols.TcpUdp, 10080, $"{Target}:9090"),
            Rule("lo", ForwardProtocols.Tcp, 10081, "127.0.0.1:80"),
            Rule("loop", ForwardProtocols.Tcp, 10082, $"{RouterTargetSide}:10082"),
            Rule("fo", ForwardProtocols.Tcp, 10083, $"{Target}:1") with { Targets = [$"{Target}:1", $"{Target}:2"], Balance = ForwardBalance.Failover },
            Rule("bw", ForwardProtocols.Tcp, 10084, $"{Target}:1") with { BandwidthMbps = 10 },
            Rule("v6", ForwardProtocols.Tcp, 10085, "[::1]:80"),
            Rule("dns", ForwardProtocols.Tcp, 10086, "no-such-host.invalid:80"),
        ], CancellationToken.None);

        errors.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["clash"] = "port 10080 already in use by rule good",
            ["lo"] = "kernel mode cannot forward to the loopback address 127.0.0.1:80; use userspace mode",
            ["loop"] = $"target {RouterTargetSide}:10082 is the rule's own listen address (a loop)",
            ["fo"] = "kernel mode cannot health-check targets to fail over; use roundrobin or userspace mode",
            ["bw"] = "kernel mode has no bandwidth limit; use userspace mode",
            ["v6"] = "kernel mode forwards to IPv4 targets only ([::1]:80)",
            ["dns"] = errors.GetValueOrDefault("dns", "missing"),
        });
        errors["dns"].Should().StartWith("cannot resolve no-such-host.invalid");
        (await forwarder.ReadCountersAsync(CancellationToken.None)).Keys.Should().Equal("good");
        (await FirewallTextAsync(KernelFirewallKind.Nftables)).Should().Contain("sx:good").And.NotContain("sx:clash");
    }

    [Fact]
    public async Task A_target_name_is_resolved_when_the_rule_is_applied()
    {
        // "localhost" resolves in every namespace; its loopback answer must be refused, proving the lookup ran.
        var forwarder = new KernelForwarder(_lab.InRouter);
        var errors = await forwarder.ApplyAsync([Rule("n", ForwardProtocols.Tcp, 10080, "localhost:8080")], CancellationToken.None);
        errors["n"].Should().Be("kernel mode cannot forward to the loopback address localhost:8080; use userspace mode");
    }

    [Theory]
    [InlineData("nftables")]
    [InlineData("iptables")]
    public async Task Forwarding_is_turned_on_for_the_rules_interfaces_only_and_ip_forward_stays_off(string firewall)
    {
        var kind = Kind(firewall);
        await ShAsync(_lab.Router, "echo 0 > /proc/sys/net/ipv4/ip_forward");
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8080,bind={Target},reuseaddr,fork", "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter, kind);
        var rule = Rule("web", ForwardProtocols.Tcp, 10080, $"{Target}:8080") with { Listen = new ForwardListen { Address = RouterClientSide, Port = 10080 } };

        (await forwarder.ApplyAsync([rule], CancellationToken.None)).Should().BeEmpty();

        (await ShAsync(_lab.Client, $"echo through | socat -t 5 - TCP:{RouterClientSide}:10080")).Should().Be("through\n");
        (await ShAsync(_lab.Router, "cat /proc/sys/net/ipv4/ip_forward")).Trim().Should().Be("0", "the namespace-wide switch is never touched");
        (await ShAsync(_lab.Router, "cat /proc/sys/net/ipv4/conf/all/forwarding")).Trim().Should().Be("0");
        (await ShAsync(_lab.Router, "cat /proc/sys/net/ipv4/conf/r0/forwarding /proc/sys/net/ipv4/conf/r1/forwarding")).Should().Be("1\n1\n");
        (await ShAsync(_lab.Router, "cat /proc/sys/net/ipv4/conf/lo/forwarding /proc/sys/net/ipv4/conf/default/forwarding")).Should().Be("0\n0\n");
    }

    [Theory]
    [InlineData("nftables", ForwardProtocols.Tcp, "TCP-LISTEN:10080,reuseaddr,fork", "tcp listener on 0.0.0.0:10080")]
    [InlineData("nftables", ForwardProtocols.TcpUdp, "UDP-RECVFROM:10080,fork", "udp socket bound to 0.0.0.0:10080")]
    [InlineData("iptables", ForwardProtocols.Tcp, "TCP6-LISTEN:10080,reuseaddr,fork", "tcp listener on [::]:10080")]
    public async Task A_port_a_running_service_holds_is_refused(string firewall, string protocol, string service, string holder)
    {
        await _lab.StartServerAsync(_lab.Router, "socat", service, "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter, Kind(firewall));

        var errors = await forwarder.ApplyAsync([Rule("web", protocol, 10080, $"{Target}:8080")], CancellationToken.None);

        errors.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["web"] = $"port 10080 is held by a running service on this Node ({holder}); kernel mode would take its traffic",
        });
        (await RunAsync("ip", "netns", "exec", _lab.Router, "nft", "list", "tables")).Should().NotContain("sentinelx");
    }

    [Fact]
    public async Task A_service_on_another_address_or_protocol_does_not_hold_the_rules_port()
    {
        await _lab.StartServerAsync(_lab.Router, "socat", $"TCP-LISTEN:10080,bind={RouterTargetSide},reuseaddr,fork", "EXEC:cat");
        var forwarder = new KernelForwarder(_lab.InRouter);
        var udp = Rule("udp", ForwardProtocols.Udp, 10080, $"{Target}:8080");
        var elsewhere = Rule("tcp", ForwardProtocols.Tcp, 10080, $"{Target}:8080") with { Listen = new ForwardListen { Address = RouterClientSide, Port = 10080 } };

        (await forwarder.ApplyAsync([udp], CancellationToken.None)).Should().BeEmpty();
        (await forwarder.ApplyAsync([elsewhere], CancellationToken.None)).Should().BeEmpty();
        (await forwarder.ApplyAsync([elsewhere with { Listen = new ForwardListen { Port = 10080 } }], CancellationToken.None))["tcp"]
            .Should().Be($"port 10080 is held by a running service on this Node (tcp listener on {RouterTargetSide}:10080); kernel mode would take its traffic");
    }

    [Fact]
    public async Task A_port_below_1024_needs_the_owners_allowance()
    {
        var strict = new KernelForwarder(_lab.InRouter);
        (await strict.ApplyAsync([Rule("ssh", ForwardProtocols.Tcp, 22, $"{Target}:22")], CancellationToken.None))["ssh"].Should().Be(
            "listen port 22 is below 1024, where system services live; set forwardPrivilegedPorts = true in /etc/sentinelx/node.toml to allow kernel-mode forwards there");

        var allowing = new KernelForwarder(_lab.InRouter, guards: KernelGuards.Defaults() with { PrivilegedPorts = true });
        (await allowing.ApplyAsync([Rule("web", ForwardProtocols.Tcp, 80, $"{Target}:8080")], CancellationToken.None)).Should().BeEmpty();
        await _lab.StartServerAsync(_lab.TargetNs, "socat", $"TCP-LISTEN:8080,bind={Target},reuseaddr,fork", "EXEC:cat");
        (await ShAsync(_lab.Client, $"echo eighty | socat -t 5 - TCP:{RouterClientSide}:80")).Should().Be("eighty\n");
    }

    [Fact]
    public async Task Targets_the_policy_refuses_are_refused_in_kernel_mode_too()
    {
        var forwarder = new KernelForwarder(_lab.InRouter);
        var errors = await forwarder.ApplyAsync(
        [
            Rule("meta", ForwardProtocols.Tcp, 10080, "169.254.169.254:80"),
            Rule("own", ForwardProtocols.Tcp, 10081, $"{RouterTargetSide}:22"),
            Rule("ok", ForwardProtocols.Tcp, 10082, $"{Target}:8080"),
        ], CancellationToken.None);

        errors.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["meta"] = "target 169.254.169.254:80 is refused by this Node's forwardTargets policy (link-local); allow it in /etc/sentinelx/node.toml",
            ["own"] = $"target {RouterTargetSide}:22 is refused by this Node's forwardTargets policy (an address of this Node); allow it in /etc/sentinelx/node.toml",
        });
        (await forwarder.ReadCountersAsync(CancellationToken.None)).Keys.Should().Equal("ok");
    }

    private static KernelFirewallKind Kind(string firewall) =>
        firewall == "iptables" ? KernelFirewallKind.Iptables : KernelFirewallKind.Nftables;

    private async Task<string> FirewallTextAsync(KernelFirewallKind kind) => kind == KernelFirewallKind.Iptables
        ? await RunAsync("ip", "netns", "exec", _lab.Router, "iptables-save")
        : await RunAsync("ip", "netns", "exec", _lab.Router, "nft", "list", "table", "ip", "sentinelx");

    private static ForwardPlacement Rule(string id, string protocol, int port, string target) => new()
    {
        RuleId = id,
        Name = id,
        Protocol = protocol,
        Mode = ForwardModes.Kernel,
        Listen = new ForwardListen { Port = port },
        Targets = [target],
    };
}
