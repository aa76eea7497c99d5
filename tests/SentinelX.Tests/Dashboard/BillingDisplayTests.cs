using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.NodeDetail;
using SentinelX.App.Features.Nodes;
using SentinelX.Tests.Hosting;
using SentinelX.Tests.Ui;
using Xunit;

namespace SentinelX.Tests.Dashboard;

/// <summary>Billing on the dashboard and the Node page: days left, the fleet's monthly cost per currency, traffic against a quota.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class BillingDisplayTests : ComponentTest
{
    private const long GiB = 1L << 30;

    private static Action<NodeRecord> Expiring(TimeSpan from) => r => r.ExpiresAt = (DateTimeOffset.UtcNow + from).ToUnixTimeMilliseconds();

    private static Action<NodeRecord> Priced(decimal price, string currency, string cycle) => r =>
        (r.BillingPrice, r.BillingCurrency, r.BillingCycle) = (price, currency, cycle);

    private IRenderedComponent<NodeCard> Card(NodeState node, MonthTraffic traffic = default) =>
        Ui.Render<NodeCard>(p => p.Add(c => c.Node, node).Add(c => c.Traffic, traffic));

    [Theory]
    [InlineData(30.5, "31 d left", "")]
    [InlineData(6.5, "7 d left", "")]
    [InlineData(5.5, "6 d left", "sx-warn")]
    [InlineData(0.2, "1 d left", "sx-warn")]
    [InlineData(-0.01, "Expired", "sx-bad")]
    [InlineData(-40, "Expired", "sx-bad")]
    public async Task A_card_shows_the_days_left_warns_under_a_week_and_alarms_once_expired(double days, string text, string level)
    {
        var node = await Ui.AddNodeAsync("n1", "vps", Expiring(TimeSpan.FromDays(days)));

        var badge = Card(node).Find("[data-testid=expiry]");

        badge.TextContent.Should().Be(text);
        badge.ClassList.Should().Contain("sx-expiry");
        if (level.Length > 0) badge.ClassList.Should().Contain(level);
        else badge.ClassList.Should().NotContain("sx-warn").And.NotContain("sx-bad");
        badge.GetAttribute("title").Should().StartWith("Paid until 20");
    }

    [Fact]
    public async Task A_node_without_an_expiry_has_no_badge_and_a_row_has_one_like_the_card()
    {
        var plain = await Ui.AddNodeAsync("n1", "plain");
        var soon = await Ui.AddNodeAsync("n2", "soon", Expiring(TimeSpan.FromDays(2.5)));

        Card(plain).FindAll("[data-testid=expiry]").Should().BeEmpty();
        var row = Ui.Render(b =>
        {
            b.OpenElement(0, "table");
            b.OpenElement(1, "tbody");
            b.OpenComponent<NodeRow>(2);
            b.AddComponentParameter(3, nameof(NodeRow.Node), soon);
            b.CloseComponent();
            b.CloseElement();
            b.CloseElement();
        });
        row.Find("[data-testid=expiry]").TextContent.Should().Be("3 d left");
        row.Find("[data-testid=expiry]").ClassList.Should().Contain("sx-warn");
    }

    [Fact]
    public async Task Days_left_speak_chinese()
    {
        var node = await Ui.AddNodeAsync("n1", "vps", Expiring(TimeSpan.FromDays(9.5)));
        Ui.Speak("zh-CN");

        Card(node).Find("[data-testid=expiry]").TextContent.Should().Be(T.Format("{0} d left", 10)).And.Be("剩余 10 天");
    }

    [Fact]
    public async Task This_months_traffic_shows_against_the_quota()
    {
        var node = await Ui.AddNodeAsync("n1", "vps", r => r.TrafficQuotaBytes = 100 * GiB);
        Ui.Connect(node, NodeCardTests.Busy);

        var quota = Card(node, new MonthTraffic(20 * GiB, 5 * GiB)).Find("[data-testid=traffic] [data-testid=traffic-quota]");

        quota.QuerySelector("[role=meter]")!.GetAttribute("aria-valuenow").Should().Be("25");
        quota.QuerySelector(".sx-bar-text")!.TextContent.Should().Be("25.0 GiB / 100 GiB");
        Card(await Ui.AddNodeAsync("n2", "no-quota")).FindAll("[data-testid=traffic-quota]").Should().BeEmpty();
    }

    [Fact]
    public async Task The_summary_adds_monthly_costs_per_currency_without_one_time_prices()
    {
        await Ui.AddNodeAsync("n1", "a", Priced(10m, "USD", "monthly"));
        await Ui.AddNodeAsync("n2", "b", Priced(120m, "USD", "yearly"));
        await Ui.AddNodeAsync("n3", "c", Priced(30m, "EUR", "quarterly"));
        await Ui.AddNodeAsync("n4", "d", Priced(500m, "USD", "one-time"));
        await Ui.AddNodeAsync("n5", "e");
        await Ui.AddNodeAsync("n6", "f", Priced(7.5m, "CNY", "monthly"));

        var page = Dashboard();

        page.Find("[data-testid=summary-cost]").TextContent.Should().Be("20.00 USD · 10.00 EUR · 7.50 CNY");
        page.Find("[data-testid=summary]").ClassList.Should().Contain("has-cost");
    }

    [Fact]
    public async Task Without_prices_the_summary_has_no_cost()
    {
        await Ui.AddNodeAsync("n1", "a", Priced(500m, "USD", "one-time"));

        Dashboard().FindAll("[data-testid=summary-cost]").Should().BeEmpty();
    }

    [Fact]
    public async Task The_node_page_states_the_billing_facts()
    {
        var node = await Ui.AddNodeAsync("n1", "vps", r =>
        {
            Priced(60m, "USD", "yearly")(r);
            r.AutoRenew = true;
            r.ExpiresAt = new DateTimeOffset(2099, 5, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
            r.TrafficQuotaBytes = 1L << 40;
        });

        var facts = Ui.Render<NodeBillingFacts>(p => p.Add(f => f.Node, node));

        facts.Find("[data-testid=billing-price]").TextContent.Trim().Should().Be("60.00 USD yearly");
        facts.Find("[data-testid=billing-monthly]").TextContent.Should().Be("5.00 USD a month");
        facts.Find("[data-testid=billing-expires]").TextContent.Trim().Should().Be("Paid until 2099-05-01 (UTC)");
        facts.Find("[data-testid=billing-auto-renew]").TextContent.Should().Be("Renews automatically");
        facts.Find("[data-testid=billing-quota]").TextContent.Trim().Should().Be("Traffic quota 1.00 TiB a month");
        facts.Find("[data-testid=expiry]").TextContent.Should().EndWith("d left");
        Ui.Render<NodeBillingFacts>(p => p.Add(f => f.Node, new NodeState(new NodeRecord { Id = "x", Name = "x", MachineId = "x", SecretHash = "" })))
            .Markup.Trim().Should().BeEmpty("nothing recorded, nothing shown");
    }

    private IRenderedComponent<App.Features.Dashboard.Dashboard> Dashboard()
    {
        Ui.SignIn(Roles.Viewer);
        Ui.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        return Ui.Render<App.Features.Dashboard.Dashboard>();
    }
}
