using FluentAssertions;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Metrics;
using Xunit;

namespace SentinelX.Tests.Dashboard;

public sealed class FleetViewTests
{
    private static readonly MonthTraffic NoTraffic = default;

    private static NodeState Node(string name, string tags = "", string group = "", string ip = "", double cpu = 0, string os = "Debian GNU/Linux 12 (bookworm)")
    {
        var node = new NodeState(new NodeRecord { Id = "id-" + name, Name = name, MachineId = name, SecretHash = "", Tags = tags, GroupName = group, Os = os, RemoteAddress = ip });
        node.Offer(new MetricSample { Seq = 1, Timestamp = DateTimeOffset.UtcNow, CpuPercent = cpu, NetRxBps = 100, NetTxBps = 50 });
        return node;
    }

    private static List<string> Names(FleetView view) => view.Rows.Select(n => n.Name).ToList();

    [Fact]
    public void Search_matches_name_tag_group_ip_and_os()
    {
        NodeState[] fleet = [Node("tokyo-1", tags: "prod,jp"), Node("berlin", group: "hetzner"), Node("home", ip: "203.0.113.7"), Node("pi", os: "Raspbian 11")];
        var view = new FleetView();
        foreach (var (search, expected) in new[] { ("TOKYO", "tokyo-1"), ("jp", "tokyo-1"), ("hetz", "berlin"), ("203.0.113", "home"), ("raspbian", "pi") })
        {
            view.Search = search;
            view.Refresh(fleet, _ => NoTraffic);
            Names(view).Should().Equal([expected], $"searching '{search}'");
        }
    }

    [Fact]
    public void Filters_by_tag_group_and_state_and_lists_the_choices()
    {
        NodeState[] fleet = [Node("a", tags: "prod", group: "g1"), Node("b", tags: "prod,test", group: "g2"), Node("c", tags: "test")];
        var view = new FleetView { Tag = "prod" };
        view.Refresh(fleet, _ => NoTraffic);
        Names(view).Should().Equal("a", "b");
        view.Tags.Should().Equal("prod", "test");
        view.Groups.Should().Equal("g1", "g2");

        view.Tag = "";
        view.Group = "g2";
        view.Refresh(fleet, _ => NoTraffic);
        Names(view).Should().Equal("b");

        view.Group = "";
        view.Status = FleetView.Offline;
        view.Refresh(fleet, _ => NoTraffic);
        Names(view).Should().Equal(["a", "b", "c"], "no Node has a session, so all count as offline");
        view.Status = FleetView.Online;
        view.Refresh(fleet, _ => NoTraffic);
        Names(view).Should().BeEmpty();
        view.Summary.Should().Be(new FleetSummary(3, 0, 0, 0, 0, 0));
    }

    [Fact]
    public void Sorts_by_name_traffic_and_flips_direction()
    {
        NodeState[] fleet = [Node("b"), Node("C"), Node("a")];
        var traffic = new Dictionary<string, MonthTraffic> { ["id-a"] = new(10, 0), ["id-b"] = new(300, 0), ["id-C"] = new(20, 0) };
        var view = new FleetView();
        view.Refresh(fleet, n => traffic[n.Id]);
        Names(view).Should().Equal("a", "b", "C");

        view.ToggleSort("name");
        view.Refresh(fleet, n => traffic[n.Id]);
        Names(view).Should().Equal("C", "b", "a");

        view.ToggleSort("traffic");
        view.Refresh(fleet, n => traffic[n.Id]);
        Names(view).Should().Equal(["b", "C", "a"], "a numeric column sorts highest first");
        view.Summary.TrafficBytes.Should().Be(330);
    }

    [Fact]
    public void Costs_add_up_per_currency_for_the_whole_fleet()
    {
        static NodeState Priced(string name, decimal? price, string currency, string cycle, string tags = "") => new(new NodeRecord
        {
            Id = "id-" + name, Name = name, MachineId = name, SecretHash = "", Tags = tags, BillingPrice = price, BillingCurrency = currency, BillingCycle = cycle,
        });
        NodeState[] fleet =
        [
            Priced("a", 5, "USD", "monthly", tags: "prod"), Priced("b", 36, "USD", "yearly"), Priced("c", 10, "EUR", "quarterly"),
            Priced("d", 99, "USD", "one-time"), Priced("e", null, "", ""), Priced("f", 4, "", "monthly"),
        ];
        var view = new FleetView { Tag = "prod" };

        view.Refresh(fleet, _ => NoTraffic);

        view.Costs.Should().Equal([("USD", 8m), ("", 4m), ("EUR", 3.33m)], "the whole fleet costs this, whatever the filters show");
        view.Refresh([], _ => NoTraffic);
        view.Costs.Should().BeEmpty();
    }
}
