using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components.Web;
using Radzen.Blazor;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Forwards;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Forwards;

/// <summary>The forwards list: which actions each role gets, and the confirmation before a rule is removed.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class ForwardsPageTests : ComponentTest
{
    private async Task<ForwardView> RuleAsync(string name = "web")
    {
        // Forwarding is on in the Core; the Node is offline, so rules are stored and wait for it.
        await Ui.AddNodeAsync("a", "entry-a", r => r.Capabilities = SentinelX.Shared.Protocol.Capabilities.Forward);
        var created = await Ui.Core<ForwardService>().CreateAsync(
            new ForwardInput { Name = name, NodeId = "a", ListenPort = 10080, Targets = ["10.0.0.5:80"] }, new AuditActor("setup", "user", null));
        created.Failure.Should().BeNull();
        return created.Value!;
    }

    [Fact]
    public async Task A_viewer_sees_the_rules_without_any_action()
    {
        await RuleAsync("<script>alert(1)</script>");
        Ui.SignIn(Roles.Viewer);

        var page = Ui.Render<ForwardsPage>();

        page.Find("[data-testid=forward-name]").TextContent.Should().Be("<script>alert(1)</script>");
        page.FindAll("script").Should().BeEmpty();
        page.FindAll("[data-testid=forward-new], [data-testid=forward-edit], [data-testid=forward-remove]").Should().BeEmpty();
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Admin)]
    public async Task An_operator_or_admin_may_create_edit_and_remove(string role)
    {
        await RuleAsync();
        Ui.SignIn(role);

        var page = Ui.Render<ForwardsPage>();

        page.FindAll("[data-testid=forward-new]").Should().ContainSingle();
        page.FindAll("[data-testid=forward-edit]").Should().ContainSingle();
        page.FindAll("[data-testid=forward-remove]").Should().ContainSingle();
    }

    [Fact]
    public async Task An_empty_list_offers_the_first_forward_to_an_operator_in_chinese()
    {
        Ui.SignIn(Roles.Operator).Speak("zh-CN");

        var page = Ui.Render<ForwardsPage>();

        page.Find("[data-testid=forwards-empty] h2").TextContent.Should().Be(T["No forwards yet"]).And.NotBe("No forwards yet");
        page.Find("[data-testid=forward-new-empty]").TextContent.Should().Contain(T["Create the first forward"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Removing_asks_first_and_only_a_confirmation_removes(bool confirm)
    {
        var rule = await RuleAsync();
        Ui.SignIn(Roles.Operator);
        var dialogs = Ui.Render<RadzenDialog>();
        var removed = false;
        var button = Ui.Render<ForwardRemoveButton>(p => p.Add(b => b.Rule, rule).Add(b => b.OnRemoved, () => removed = true));

        var click = button.Find("[data-testid=forward-remove]").ClickAsync(new MouseEventArgs());
        dialogs.WaitForAssertion(() => dialogs.Find(".rz-dialog").TextContent.Should().Contain(
            "Remove the forward web? Its Nodes stop listening on port 10080 and its traffic history is deleted."));
        var answer = dialogs.FindAll(".rz-dialog button").Single(b => b.TextContent.Trim() == (confirm ? "Remove" : "Cancel"));
        await answer.ClickAsync(new MouseEventArgs());
        await click;

        removed.Should().Be(confirm);
        (await Ui.Core<ForwardService>().ListAsync()).Should().HaveCount(confirm ? 0 : 1);
    }
}
