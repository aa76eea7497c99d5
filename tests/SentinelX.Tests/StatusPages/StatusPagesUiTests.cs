using AngleSharp.Dom;
using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.StatusPages;
using SentinelX.App.Features.Storage;
using SentinelX.Tests.Hosting;
using SentinelX.Tests.Ui;
using Xunit;

namespace SentinelX.Tests.StatusPages;

/// <summary>The admin pages for status pages: they act through the same service as the API, check the role on the server, and are audited.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class StatusPagesUiTests : ComponentTest
{
    private StatusPageService Pages => Ui.Core<StatusPageService>();

    // Radzen puts the test id on the input itself or on a wrapper around it.
    private static IElement Field<T>(IRenderedComponent<T> form, string testId) where T : IComponent
    {
        var element = form.Find($"[data-testid={testId}]");
        return element.LocalName is "input" or "textarea" or "select" ? element : element.QuerySelector("input, textarea")!;
    }

    private static Task SetAsync<T>(IRenderedComponent<T> form, string testId, object value) where T : IComponent =>
        Field(form, testId).ChangeAsync(new ChangeEventArgs { Value = value });

    [Fact]
    public async Task An_admin_creates_a_page_with_the_chosen_servers()
    {
        await Ui.AddNodeAsync("n1", "alpha");
        await Ui.AddNodeAsync("n2", "beta");
        Ui.SignIn(Roles.Admin);
        var form = Ui.Render<StatusPageEditDialog>();

        Field(form, "status-page-slug").GetAttribute("value").Should().Be("default", "the first page goes to /status");
        form.Find("[data-testid=status-page-probes]").TextContent.Should().Contain("No probes yet.");
        await SetAsync(form, "status-page-title", "Our status");
        await SetAsync(form, "status-page-node-n2", true);
        await form.Find("[data-testid=status-page-save]").ClickAsync(new MouseEventArgs());

        var saved = await Pages.GetAsync("default", CancellationToken.None);
        saved.Should().NotBeNull();
        saved!.Title.Should().Be("Our status");
        saved.NodeIds.Should().Equal("n2");
        (await AuditAsync(AuditActions.StatusPageUpdate)).Should().ContainSingle().Which.Actor.Should().Be("alice");
    }

    [Fact]
    public async Task The_form_names_a_bad_address_and_a_taken_one()
    {
        Ui.SignIn(Roles.Admin);
        await Pages.PutAsync("taken", new StatusPageInput("Taken", [], [], true), AuditActor.System, CancellationToken.None);
        var form = Ui.Render<StatusPageEditDialog>();

        await SetAsync(form, "status-page-title", "Mine");
        await SetAsync(form, "status-page-slug", "../Admin");
        await form.Find("[data-testid=status-page-save]").ClickAsync(new MouseEventArgs());
        form.Find("[data-testid=status-page-error-slug]").TextContent.Should().Be("Use 1 to 40 of a-z, 0-9 and -.");

        await SetAsync(form, "status-page-slug", "taken");
        await form.Find("[data-testid=status-page-save]").ClickAsync(new MouseEventArgs());
        form.Find("[data-testid=status-page-error-slug]").TextContent.Should().Be("There is already a page at this address.");
        (await Pages.GetAsync("taken", CancellationToken.None))!.Title.Should().Be("Taken");
    }

    [Fact]
    public async Task Someone_who_is_not_an_admin_is_refused_on_the_server()
    {
        Ui.SignIn(Roles.Operator);
        var form = Ui.Render<StatusPageEditDialog>();

        await SetAsync(form, "status-page-title", "Sneaky");
        await form.Find("[data-testid=status-page-save]").ClickAsync(new MouseEventArgs());

        form.Find("[data-testid=status-page-denied]").TextContent.Should().Be("Only administrators can change status pages.");
        (await Pages.ListAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task An_admin_posts_and_resolves_an_incident()
    {
        await Pages.PutAsync("ops", new StatusPageInput("Ops", [], [], true), AuditActor.System, CancellationToken.None);
        Ui.SignIn(Roles.Admin);
        var page = Ui.Render<StatusIncidentsPage>(p => p.Add(c => c.Slug, "ops"));

        await SetAsync(page, "incident-title", "API slow");
        await SetAsync(page, "incident-state", "identified");
        await SetAsync(page, "incident-body", "A disk is full.");
        await page.Find("[data-testid=incident-save]").ClickAsync(new MouseEventArgs());
        page.Find("[data-testid=incident]").GetAttribute("data-state").Should().Be("identified");
        await page.Find("[data-testid=incident-resolve]").ClickAsync(new MouseEventArgs());

        var incident = (await Pages.IncidentsAsync("ops", CancellationToken.None)).Should().ContainSingle().Subject;
        (incident.Title, incident.Body, incident.State).Should().Be(("API slow", "A disk is full.", "resolved"));
        page.Find("[data-testid=incident]").GetAttribute("data-state").Should().Be("resolved");
        (await AuditAsync(AuditActions.StatusIncidentWrite)).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_viewer_who_reaches_the_incidents_page_cannot_post()
    {
        await Pages.PutAsync("ops", new StatusPageInput("Ops", [], [], true), AuditActor.System, CancellationToken.None);
        Ui.SignIn(Roles.Viewer);
        var page = Ui.Render<StatusIncidentsPage>(p => p.Add(c => c.Slug, "ops"));

        await SetAsync(page, "incident-title", "Viewer's note");
        await page.Find("[data-testid=incident-save]").ClickAsync(new MouseEventArgs());

        page.Find("[data-testid=status-incidents-error]").TextContent.Should().Be("Only administrators can change status pages.");
        (await Pages.IncidentsAsync("ops", CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task The_list_links_each_public_page_and_marks_private_ones()
    {
        await Pages.PutAsync("default", new StatusPageInput("Main", [], [], true), AuditActor.System, CancellationToken.None);
        await Pages.PutAsync("internal", new StatusPageInput("Internal", [], [], false), AuditActor.System, CancellationToken.None);
        Ui.SignIn(Roles.Admin);
        Ui.Speak("zh-CN");

        var list = Ui.Render<StatusPagesPage>();

        var rows = list.FindAll("[data-testid=status-page-row]");
        rows.Select(r => r.GetAttribute("data-slug")).Should().Equal("default", "internal");
        rows[0].QuerySelector("[data-testid=status-page-open]")!.GetAttribute("href").Should().Be("/status");
        rows[1].QuerySelector("[data-testid=status-page-open]").Should().BeNull("a private page has no public address to open");
        rows[1].QuerySelector("[data-testid=status-page-private]")!.TextContent.Should().Be(T["Private"]).And.NotBe("Private");
        list.Find("h1").TextContent.Should().Be("状态页");
    }

    private async Task<List<AuditEntry>> AuditAsync(string action)
    {
        await using var db = await Ui.Core<IDbContextFactory<SentinelDb>>().CreateDbContextAsync();
        return await db.AuditEntries.Where(e => e.Action == action).ToListAsync();
    }
}
