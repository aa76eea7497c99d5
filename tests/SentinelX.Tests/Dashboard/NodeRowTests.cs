using Bunit;
using FluentAssertions;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Nodes;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Dashboard;

/// <summary>One Node as a row of the dashboard's table.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class NodeRowTests : ComponentTest
{
    // A row renders inside the table it belongs to, so the parser keeps the <tr>.
    private IRenderedComponent<NodeRow> Row(NodeState node, MonthTraffic traffic = default) =>
        Ui.Render(b =>
        {
            b.OpenElement(0, "table");
            b.OpenElement(1, "tbody");
            b.OpenComponent<NodeRow>(2);
            b.AddComponentParameter(3, nameof(NodeRow.Node), node);
            b.AddComponentParameter(4, nameof(NodeRow.Traffic), traffic);
            b.CloseComponent();
            b.CloseElement();
            b.CloseElement();
        }).FindComponent<NodeRow>();

    [Fact]
    public async Task An_online_row_shows_status_figures_and_platform()
    {
        var node = await Ui.AddNodeAsync("n1", "tokyo-1");
        Ui.Connect(node, NodeCardTests.Busy);

        var row = Row(node, new MonthTraffic(1024, 2048));

        row.Find("[data-testid=node-status]").TextContent.Trim().Should().Be("Online");
        row.Find("[data-testid=cpu] .sx-bar-text").TextContent.Should().Be("42.5 %");
        row.Find("[data-testid=traffic]").TextContent.Should().Contain("↓ 1.00 KiB").And.Contain("↑ 2.00 KiB");
        row.Find("[data-testid=uptime]").TextContent.Should().Be("3 d 4 h");
        row.Find(".sx-col-system").TextContent.Should().Be("Debian 12 · x86_64");
    }

    [Fact]
    public async Task An_offline_row_without_samples_spans_the_figure_columns()
    {
        var node = await Ui.AddNodeAsync("n1", "fresh");

        var row = Row(node);

        row.Find("tr").ClassList.Should().Contain("is-offline");
        row.Find("[data-testid=node-status] .sx-state").TextContent.Should().Be("Offline");
        row.Find("[data-testid=node-status] .sx-small").TextContent.Should().Be("never seen");
        var empty = row.Find("td.sx-muted");
        empty.TextContent.Should().Be("No data yet");
        empty.GetAttribute("colspan").Should().Be("7");
    }

    [Fact]
    public async Task The_row_speaks_chinese()
    {
        var node = await Ui.AddNodeAsync("n1", "tokyo-1");
        Ui.Connect(node, NodeCardTests.Busy);
        Ui.Speak("zh-CN");

        var row = Row(node);

        row.Find("[data-testid=node-status]").TextContent.Trim().Should().Be(T["Online"]).And.NotBe("Online");
        row.Find(".sx-dot").GetAttribute("title").Should().Be(T["Online"]);
    }
}
