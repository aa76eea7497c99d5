using AngleSharp.Dom;
using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Dashboard;

/// <summary>The dashboard page as its first HTML shows it: empty fleet, live figures, traffic, search and the table view.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class DashboardTests : ComponentTest
{
    private IRenderedComponent<App.Features.Dashboard.Dashboard> Page()
    {
        Ui.SignIn(Roles.Viewer);
        // The prerendered path: every matching Node is in the markup, no virtualization waiting for the browser.
        Ui.SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        return Ui.Render<App.Features.Dashboard.Dashboard>();
    }

    private static string Text(IRenderedComponent<App.Features.Dashboard.Dashboard> page, string testId) =>
        page.Find($"[data-testid={testId}]").TextContent.Trim();

    [Fact]
    public void An_empty_fleet_says_how_to_add_a_server()
    {
        var page = Page();

        page.Find("[data-testid=empty] h2").TextContent.Should().Be("No servers yet");
        Text(page, "summary-online").Should().Be("0 / 0");
        page.FindAll("[data-testid=search]").Should().BeEmpty("there is nothing to search");
    }

    [Fact]
    public void An_empty_fleet_in_chinese()
    {
        Ui.Speak("zh-CN");

        var page = Page();

        page.Find("h1").TextContent.Should().Be(T["Dashboard"]).And.NotBe("Dashboard");
        page.Find("[data-testid=empty] h2").TextContent.Should().Be(T["No servers yet"]).And.NotBe("No servers yet");
        page.Find("[data-testid=view-table]").TextContent.Should().EndWith(" " + T["Table"]).And.NotContain("Table");
    }

    [Fact]
    public async Task The_summary_counts_online_nodes_and_adds_their_live_figures()
    {
        Ui.Connect(await Ui.AddNodeAsync("n1", "alpha"), NodeCardTests.Busy);
        var offline = await Ui.AddNodeAsync("n2", "beta");
        offline.Offer(NodeCardTests.Busy with { CpuPercent = 99 });

        var page = Page();

        Text(page, "summary-online").Should().Be("1 / 2");
        Text(page, "summary-bandwidth").Should().Contain("↓ 1.00 Mbit/s").And.Contain("↑ 100 Mbit/s");
        Text(page, "summary-cpu").Should().Be("42.5 %", "an offline Node's last sample is not part of the average");
        page.FindAll("[data-testid=node-cards] [data-testid=node-name]").Select(a => a.TextContent).Should().Equal("alpha", "beta");
        Text(page, "count").Should().Be("2 of 2");
    }

    [Fact]
    public async Task This_months_traffic_comes_from_the_stored_hours()
    {
        var period = TrafficPeriod.Containing(DateTimeOffset.UtcNow, 1).Start.ToUnixTimeMilliseconds();
        // Offline, with a last sample whose counters add nothing to the stored hours.
        (await Ui.AddNodeAsync("n1", "alpha")).Offer(NodeCardTests.Busy);
        await using (var db = await Ui.Core<IDbContextFactory<SentinelDb>>().CreateDbContextAsync())
        {
            const long GiB = 1024L * 1024 * 1024;
            db.HourRollups.AddRange(
                new HourRollup { NodeId = "n1", Bucket = period - 3_600_000, SampleCount = 3600, NetRxTotalLast = 10 * GiB, NetTxTotalLast = GiB },
                new HourRollup { NodeId = "n1", Bucket = period, SampleCount = 3600, NetRxTotalLast = 13 * GiB, NetTxTotalLast = 2 * GiB });
            await db.SaveChangesAsync();
        }

        var page = Page();

        // The meter reads the database off the render thread, then the page refreshes itself.
        page.WaitForAssertion(() => Text(page, "summary-traffic").Should().Be("4.00 GiB"), TimeSpan.FromSeconds(10));
        page.Find("[data-testid=traffic]").TextContent.Should().Contain("↓ 3.00 GiB").And.Contain("↑ 1.00 GiB");
    }

    [Fact]
    public async Task A_search_that_matches_nothing_says_so_and_keeps_markup_as_text()
    {
        await Ui.AddNodeAsync("n1", "alpha");
        var page = Page();

        await page.Find("[data-testid=search]").InputAsync(new ChangeEventArgs { Value = "<script>alert(1)</script>" });

        Text(page, "no-match").Should().Be("No server matches the search and filters.");
        Text(page, "count").Should().Be("0 of 1");
        page.Find("[data-testid=search]").GetAttribute("value").Should().Be("<script>alert(1)</script>");
        page.FindAll("script").Should().BeEmpty();
    }

    [Fact]
    public async Task Searching_by_tag_in_chinese_text_finds_the_node()
    {
        await Ui.AddNodeAsync("n1", "alpha", r => r.Tags = "生产");
        await Ui.AddNodeAsync("n2", "beta");
        var page = Page();

        await page.Find("[data-testid=search]").InputAsync(new ChangeEventArgs { Value = "生产" });

        page.FindAll("[data-testid=node-name]").Select(a => a.TextContent).Should().Equal("alpha");
    }

    [Fact]
    public async Task The_status_filter_shows_only_offline_nodes()
    {
        Ui.Connect(await Ui.AddNodeAsync("n1", "alpha"), NodeCardTests.Busy);
        await Ui.AddNodeAsync("n2", "beta");
        var page = Page();

        await page.Find("[data-testid=filter-status]").ChangeAsync(new ChangeEventArgs { Value = "offline" });

        page.FindAll("[data-testid=node-name]").Select(a => a.TextContent).Should().Equal("beta");
    }

    [Fact]
    public async Task The_table_view_lists_a_row_per_node_with_sortable_columns()
    {
        Ui.Connect(await Ui.AddNodeAsync("n1", "alpha"), NodeCardTests.Busy with { CpuPercent = 10 });
        Ui.Connect(await Ui.AddNodeAsync("n2", "beta"), NodeCardTests.Busy with { CpuPercent = 80 });
        var page = Page();

        await page.Find("[data-testid=view-table]").ClickAsync(new MouseEventArgs());
        page.WaitForAssertion(() => page.Find("[data-testid=dashboard]").GetAttribute("data-view").Should().Be("table"));
        await page.Find("[data-testid=sort-cpu]").ClickAsync(new MouseEventArgs());

        Names(page).Should().Equal("beta", "alpha");
        page.Find("[data-testid=sort-cpu]").TextContent.Should().Be("CPU ↓");
        page.Find("[data-testid=view-table]").HasAttribute("aria-pressed").Should().BeTrue();
        page.Find("[data-testid=view-cards]").HasAttribute("aria-pressed").Should().BeFalse();
    }

    private static IEnumerable<string> Names(IRenderedComponent<App.Features.Dashboard.Dashboard> page) =>
        page.FindAll("[data-testid=node-table] [data-testid=node-name]").Select((IElement a) => a.TextContent);
}
