using Bunit;
using FluentAssertions;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Metrics;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Dashboard;

/// <summary>One Node as a dashboard card: what it shows online, offline and before its first sample.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class NodeCardTests : ComponentTest
{
    internal static readonly MetricSample Busy = new()
    {
        Seq = 1,
        Timestamp = DateTimeOffset.UtcNow,
        CpuPercent = 42.5,
        MemUsedBytes = 2L * 1024 * 1024 * 1024,
        MemTotalBytes = 8L * 1024 * 1024 * 1024,
        DiskUsedBytes = 30L * 1024 * 1024 * 1024,
        DiskTotalBytes = 60L * 1024 * 1024 * 1024,
        NetRxBps = 125_000,
        NetTxBps = 12_500_000,
        UptimeSeconds = 3 * 86400 + 4 * 3600,
        Load1 = 0.5, Load5 = 1.25, Load15 = 2,
    };

    private IRenderedComponent<NodeCard> Card(NodeState node, MonthTraffic traffic = default) =>
        Ui.Render<NodeCard>(p => p.Add(c => c.Node, node).Add(c => c.Traffic, traffic));

    [Fact]
    public async Task An_online_node_shows_its_live_figures()
    {
        var node = await Ui.AddNodeAsync("n1", "tokyo-1", r => r.Region = "jp");
        Ui.Connect(node, Busy);

        var card = Card(node, new MonthTraffic(5L * 1024 * 1024 * 1024, 512L * 1024 * 1024));

        card.Find("[data-testid=node-name]").TextContent.Should().Be("tokyo-1");
        card.Find("[data-testid=node-name]").GetAttribute("href").Should().Be("/nodes/n1");
        card.Find("[data-testid=cpu] .sx-bar-text").TextContent.Should().Be("42.5 %");
        card.Find("[data-testid=memory] .sx-bar-text").TextContent.Should().Be("2.00 GiB / 8.00 GiB");
        card.Find("[data-testid=disk] [role=meter]").GetAttribute("aria-valuenow").Should().Be("50");
        card.Find("[data-testid=net]").TextContent.Should().Contain("↓ 1.00 Mbit/s").And.Contain("↑ 100 Mbit/s");
        card.Find("[data-testid=traffic]").TextContent.Should().Contain("↓ 5.00 GiB").And.Contain("↑ 512 MiB");
        card.Find("[data-testid=load]").TextContent.Should().Be("0.50 1.25 2.00");
        card.Find(".sx-flag").GetAttribute("title").Should().Be("jp");
        card.Find(".sx-dot").ClassList.Should().Contain("is-online");
        card.FindAll("[data-testid=node-status]").Should().BeEmpty("an online Node has no offline note");
    }

    [Fact]
    public async Task An_offline_node_says_when_it_was_last_seen_and_shows_no_rate()
    {
        var seen = new DateTimeOffset(2026, 11, 24, 13, 5, 0, TimeSpan.Zero);
        var node = await Ui.AddNodeAsync("n1", "paris", r => r.LastSeenAt = seen.ToUnixTimeMilliseconds());
        node.Offer(Busy);

        var card = Card(node);

        card.Find("article").ClassList.Should().Contain("is-offline");
        card.Find("[data-testid=node-status]").TextContent.Should().Be("Offline · last seen 2026-11-24 13:05");
        card.Find("[data-testid=net]").TextContent.Trim().Should().Be("—");
        card.Find("[data-testid=uptime]").TextContent.Should().NotBeEmpty("the last sample still says how long it had been up");
    }

    [Fact]
    public async Task A_node_never_seen_says_so_and_has_no_data_yet()
    {
        var node = await Ui.AddNodeAsync("n1", "fresh");

        var card = Card(node);

        card.Find("[data-testid=node-status]").TextContent.Should().Be("Offline · never seen");
        card.Find(".sx-muted").TextContent.Should().Be("No data yet");
        card.FindAll("[data-testid=cpu]").Should().BeEmpty();
    }

    [Fact]
    public async Task The_card_speaks_chinese()
    {
        var node = await Ui.AddNodeAsync("n1", "fresh");
        Ui.Speak("zh-CN");

        var card = Card(node);

        card.Find("[data-testid=node-status]").TextContent.Should().Be($"{T["Offline"]} · {T["never seen"]}").And.NotContain("Offline");
        card.Find(".sx-muted").TextContent.Should().Be(T["No data yet"]).And.NotBe("No data yet");
    }

    [Fact]
    public async Task Chinese_labels_name_the_live_figures()
    {
        var node = await Ui.AddNodeAsync("n1", "上海-1");
        Ui.Connect(node, Busy);
        Ui.Speak("zh-CN");

        var card = Card(node);

        card.Find("[data-testid=node-name]").TextContent.Should().Be("上海-1");
        card.Find("[data-testid=memory] .sx-bar-label").TextContent.Should().Be(T["Memory"]).And.NotBe("Memory");
        card.FindAll("dt").Select(d => d.TextContent).Should().Equal(T["Network"], T["This month"], T["Uptime"], T["Load"]);
    }

    [Fact]
    public async Task Markup_in_a_name_group_or_tag_is_shown_as_text()
    {
        var node = await Ui.AddNodeAsync("n1", "<script>alert(1)</script>", r =>
        {
            r.GroupName = "<b>ops</b>";
            r.Tags = "<img src=x onerror=alert(1)>,prod";
        });

        var card = Card(node);

        card.FindAll("script, b, img").Should().BeEmpty();
        card.Find("[data-testid=node-name]").TextContent.Should().Be("<script>alert(1)</script>");
        card.Find("[data-testid=node-group]").TextContent.Should().Be("<b>ops</b>");
        card.FindAll("[data-testid=node-tag]").Select(t => t.TextContent).Should().Equal("<img src=x onerror=alert(1)>", "prod");
    }

    [Fact]
    public async Task A_region_that_is_not_a_country_code_shows_no_flag()
    {
        var node = await Ui.AddNodeAsync("n1", "lab", r => r.Region = "eu-west");

        Card(node).FindAll(".sx-flag").Should().BeEmpty();
    }
}
