using System.Net;
using FluentAssertions;
using SentinelX.Node.Forwarding.Kernel;
using Xunit;

namespace SentinelX.Tests.Forwarding.Kernel;

/// <summary>Reading counters and flows back from what nft, iptables-save and conntrack print.</summary>
public sealed class KernelParsingTests
{
    private static readonly KernelRule Web = new("rule:7", ["tcp"], null, 10080, [new IPEndPoint(IPAddress.Parse("10.0.0.5"), 80)]);

    [Fact]
    public void Nft_counter_objects_are_attributed_by_their_comment()
    {
        const string json = """
            {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
             {"counter": {"family": "ip", "name": "sx_0011_in", "table": "sentinelx", "handle": 7, "comment": "sx:rule:7 in", "packets": 12, "bytes": 34567}},
             {"counter": {"family": "ip", "name": "sx_0011_conn", "table": "sentinelx", "handle": 9, "comment": "sx:rule:7 conn", "packets": 3, "bytes": 180}},
             {"counter": {"family": "ip", "name": "stray", "table": "sentinelx", "handle": 10, "packets": 1, "bytes": 1}}]}
            """;

        var counters = NftablesFirewall.ParseCounters(json);

        counters["sx_0011_in"].Should().Be(new NftablesFirewall.CounterObject("rule:7", "in", 12, 34567));
        counters["sx_0011_conn"].Should().Be(new NftablesFirewall.CounterObject("rule:7", "conn", 3, 180));
        counters["stray"].RuleId.Should().BeNull();
    }

    [Fact]
    public void Iptables_save_lines_of_the_node_chains_are_read_with_their_counters()
    {
        const string save = """
            *filter
            :SENTINELX-FWD - [0:0]
            [10:2000] -A FORWARD -j ACCEPT
            [5:7000] -A SENTINELX-FWD -p tcp -m conntrack --ctstate DNAT --ctorigdstport 10080 --ctdir ORIGINAL -m comment --comment "sx:rule:7 in" -j ACCEPT
            [4:300] -A SENTINELX-FWD -p tcp -m conntrack --ctstate DNAT --ctorigdstport 10080 --ctdir REPLY -m comment --comment "sx:rule:7 out" -j ACCEPT
            COMMIT
            """;

        IptablesFirewall.ParseSave(save).Should().Equal(
            (("rule:7", "in"), 5L, 7000L),
            (("rule:7", "out"), 4L, 300L));
    }

    [Fact]
    public void Iptables_script_carries_each_total_onto_the_first_rule_with_its_tag()
    {
        var carried = new Dictionary<(string, string), (long, long)> { [("rule:7", "in")] = (5, 7000) };

        var script = IptablesFirewall.Script([Web], carried);

        script.Should().Contain("[5:7000] -A SENTINELX-FWD -p tcp -m conntrack --ctstate DNAT --ctorigdstport 10080 --ctdir ORIGINAL");
        script.Should().Contain("[0:0] -A SENTINELX-IN -p tcp -m conntrack --ctstate DNAT --ctorigdstport 10080 --ctdir ORIGINAL");
        script.Should().Contain("-m addrtype --dst-type LOCAL --dport 10080 -m comment --comment \"sx:rule:7 conn\" -j DNAT --to-destination 10.0.0.5:80");
    }

    [Fact]
    public void Conntrack_counts_established_flows_dnatted_to_the_rule_targets()
    {
        const string table = """
            ipv4     2 tcp      6 431999 ESTABLISHED src=10.77.1.2 dst=10.77.1.1 sport=40000 dport=10080 src=10.0.0.5 dst=10.77.2.1 sport=80 dport=40000 [ASSURED] mark=0 zone=0 use=2
            ipv4     2 tcp      6 119 TIME_WAIT src=10.77.1.2 dst=10.77.1.1 sport=40001 dport=10080 src=10.0.0.5 dst=10.77.2.1 sport=80 dport=40001 [ASSURED] mark=0 zone=0 use=2
            ipv4     2 tcp      6 431999 ESTABLISHED src=10.77.1.2 dst=10.77.1.1 sport=40002 dport=10080 src=10.77.1.1 dst=10.77.1.2 sport=10080 dport=40002 [ASSURED] mark=0 zone=0 use=2
            ipv4     2 udp      17 29 src=10.77.1.2 dst=10.77.1.1 sport=5000 dport=10080 src=10.0.0.5 dst=10.77.2.1 sport=80 dport=5000 mark=0 zone=0 use=2
            """;

        // Only the first: the second is closing, the third was not DNATed, the fourth is UDP.
        ConntrackTable.CountActive(table, Web).Should().Be(1);
        ConntrackTable.CountActive(table, Web with { Protocols = ["tcp", "udp"] }).Should().Be(2);
    }

    [Fact]
    public void Counter_names_are_stable_and_valid_nft_identifiers_whatever_the_rule_id()
    {
        Web.CounterName.Should().MatchRegex("^sx_[0-9a-f]{16}$").And.Be(Web.CounterName);
        (Web with { RuleId = "other" }).CounterName.Should().NotBe(Web.CounterName);
        KernelRule.IsSafeId("a\"; flush ruleset").Should().BeFalse();
    }

    [Fact]
    public void Listeners_and_bound_udp_sockets_are_read_from_proc_net()
    {
        const string tcp = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
               1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
               2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
            """;
        const string tcp6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
               1: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 100 0 0 10 0
            """;
        const string udp = """
               sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
              100: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 6 2 0000000000000000 0
              101: 0100007F:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 7 2 0000000000000000 0
            """;

        SocketTable.Parse(tcp, "tcp").Should().Equal(
            new HeldPort("tcp", IPAddress.Any, 22), new HeldPort("tcp", IPAddress.Loopback, 8080));
        SocketTable.Parse(tcp6, "tcp").Should().Equal(
            new HeldPort("tcp", IPAddress.IPv6Any, 80), new HeldPort("tcp", IPAddress.IPv6Loopback, 8081));
        SocketTable.Parse(udp, "udp").Should().Equal(new HeldPort("udp", IPAddress.Parse("127.0.0.53"), 53));
        SocketTable.Parse("garbage\n 0: zz:yy 00:00 0A\n 1: 0100007F:FFFFFFFFF 0:0 0A\n 2: 0100007F:1FFFF 0:0 0A", "tcp").Should().BeEmpty();
    }
}
