using Bunit;
using FluentAssertions;
using SentinelX.App.Features.Forwards;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Forwards;

/// <summary>A rule's path as boxes: which Node does what, over which transport, and where it fails.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class ForwardChainDiagramTests : ComponentTest
{
    internal static ForwardView Rule(IReadOnlyList<ForwardHopView>? chain = null, IReadOnlyList<ForwardPlacementView>? placements = null,
        IReadOnlyList<string>? targets = null, string status = ForwardStatuses.Active) => new()
    {
        Id = "r1", Name = "web", NodeId = "a", NodeName = "entry-a", Protocol = ForwardProtocols.Tcp,
        ListenAddress = "0.0.0.0", ListenPort = 10080, Targets = targets ?? ["10.0.0.5:80"],
        Balance = ForwardBalance.RoundRobin, Mode = ForwardModes.Userspace, Chain = chain ?? [], QuotaAction = QuotaActions.Block,
        Status = status, Stats = new ForwardStatsView(0, 0, 0, 0), Placements = placements ?? [],
    };

    private IRenderedComponent<ForwardChainDiagram> Diagram(ForwardView rule) => Ui.Render<ForwardChainDiagram>(p => p.Add(d => d.Rule, rule));

    [Fact]
    public void A_direct_rule_is_one_entry_box_with_its_own_counters()
    {
        var diagram = Diagram(Rule(placements: [new("a", "entry-a", "entry", ForwardStatuses.Active, null) { ConnectionsActive = 3, BytesIn = 2048, BytesOut = 1024 }]));

        var station = diagram.Find("[data-testid=forward-station]");
        station.GetAttribute("data-node").Should().Be("a");
        station.QuerySelector(".sx-fwd-box-role")!.TextContent.Should().Be("Entry");
        diagram.Find("[data-testid=forward-station-counts]").TextContent.Trim().Should().Be("3 open · ↓ 2.00 KiB · ↑ 1.00 KiB");
        diagram.Find(".sx-fwd-link-label").TextContent.Should().Be("0.0.0.0:10080");
    }

    [Fact]
    public void A_chain_shows_each_hop_with_the_transport_and_address_it_is_reached_by()
    {
        var diagram = Diagram(Rule(
            chain: [new("a", "entry-a", HopTransports.Tls, "", 0, "", null), new("b", "relay-b", HopTransports.Wss, "relay.example", 8443, "/tunnel", "cdn.example"), new("c", "exit-c", HopTransports.Tcp, "192.0.2.30", 0, "", null)],
            placements: [new("a", "entry-a", "entry", ForwardStatuses.Active, null), new("b", "relay-b", "relay", ForwardStatuses.Active, null), new("c", "exit-c", "exit", ForwardStatuses.Error, "bind: address already in use")]));

        diagram.FindAll("[data-testid=forward-station]").Select(s => s.GetAttribute("data-status")).Should().Equal("active", "active", "error");
        diagram.FindAll(".sx-fwd-link-label").Select(l => l.TextContent).Should().Equal("0.0.0.0:10080", "wss", "tcp", "tcp");
        diagram.FindAll(".sx-fwd-box-detail").Select(d => d.TextContent).Should().Contain("relay.example:8443/tunnel (Host: cdn.example)").And.Contain("192.0.2.30");
        diagram.Find("[data-testid=forward-station-error]").TextContent.Should().Be("bind: address already in use");
    }

    [Fact]
    public void A_target_failing_its_health_check_is_marked_down()
    {
        var rule = Rule(targets: ["10.0.0.5:80", "10.0.0.6:80"]) with { TargetsDown = ["10.0.0.6:80"], Balance = ForwardBalance.Failover };

        var diagram = Diagram(rule);

        diagram.FindAll("[data-testid=forward-target]").Select(t => t.GetAttribute("data-down")).Should().Equal("false", "true");
        diagram.Find("[data-down=true] small").TextContent.Should().Be("down");
        diagram.Find(".sx-fwd-targets .sx-fwd-box-role").TextContent.Should().NotBe("Target", "several targets name how they are balanced");
    }

    [Fact]
    public void Node_names_and_errors_with_markup_are_text()
    {
        var rule = Rule(placements: [new("a", "<script>x()</script>", "entry", ForwardStatuses.Error, "<img src=x onerror=alert(1)>")]) with { NodeName = "<script>x()</script>" };

        var diagram = Diagram(rule);

        diagram.FindAll("script, img").Should().BeEmpty();
        diagram.Find(".sx-fwd-box-name").TextContent.Should().Be("<script>x()</script>");
        diagram.Find("[data-testid=forward-station-error]").TextContent.Should().Be("<img src=x onerror=alert(1)>");
    }

    [Fact]
    public void The_diagram_in_chinese()
    {
        Ui.Speak("zh-CN");

        var diagram = Diagram(Rule(status: ForwardStatuses.Pending));

        diagram.Find(".sx-fwd-clients .sx-fwd-box-role").TextContent.Should().Be(T["Clients"]).And.NotBe("Clients");
        diagram.Find("[data-testid=forward-status] .rz-badge").TextContent.Should().Be(T["Pending"]).And.NotBe("Pending");
    }
}
