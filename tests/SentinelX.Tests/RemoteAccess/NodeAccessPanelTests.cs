using Bunit;
using FluentAssertions;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.RemoteAccess;

/// <summary>The Access tab: both locks per capability, and who may switch the Core's.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class NodeAccessPanelTests : ComponentTest
{
    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Viewer)]
    public async Task Only_an_admin_gets_working_switches(string role)
    {
        var node = await Ui.AddNodeAsync("n1", "web");
        Ui.SignIn(role);

        var panel = Ui.Render<NodeAccessPanel>(p => p.Add(a => a.Node, node));

        panel.FindAll("[data-testid^=switch-]").Should().HaveCount(5).And.OnlyContain(s => s.ClassList.Contains("rz-state-disabled"));
        panel.Markup.Should().Contain("Only administrators can turn capabilities on or off.");
    }

    [Fact]
    public async Task An_admin_sees_each_lock_as_the_node_reported_it()
    {
        var node = await Ui.AddNodeAsync("n1", "web", r => r.Capabilities = Capabilities.Exec);
        Ui.Connect(node, allowed: Capabilities.Exec);
        Ui.SignIn(Roles.Admin);

        var panel = Ui.Render<NodeAccessPanel>(p => p.Add(a => a.Node, node));

        panel.FindAll("[data-testid^=switch-]").Should().OnlyContain(s => !s.ClassList.Contains("rz-state-disabled"));
        panel.Find("[data-testid=lock-exec]").GetAttribute("data-usable").Should().Be("true");
        panel.Find("[data-testid=lock-shell]").GetAttribute("data-usable").Should().Be("false");
        panel.Find("[data-testid=node-lock-exec]").TextContent.Should().Contain("Yes");
        panel.Find("[data-testid=node-lock-shell]").TextContent.Should().Contain("No");
        panel.Markup.Should().NotContain("Only administrators can turn capabilities on or off.");
    }

    [Fact]
    public async Task A_node_that_never_said_what_it_allows_is_not_reported_yet()
    {
        var node = await Ui.AddNodeAsync("n1", "web");
        Ui.SignIn(Roles.Admin).Speak("zh-CN");

        var panel = Ui.Render<NodeAccessPanel>(p => p.Add(a => a.Node, node));

        panel.Find("[data-testid=node-lock-files]").TextContent.Should().Contain(T["Not reported yet"]).And.NotContain("Not reported");
    }
}
