using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.RemoteAccess;

/// <summary>What a Node tab shows when the Core's switch or the server's own config refuses a capability, per role.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class CapabilityGateTests : ComponentTest
{
    private IRenderedComponent<CapabilityGate> Gate(NodeState node, string capability = Capabilities.Shell) =>
        Ui.Render<CapabilityGate>(p => p
            .Add(g => g.Node, node)
            .Add(g => g.Capability, capability)
            .AddChildContent("<div data-testid=\"terminal\">terminal</div>"));

    [Fact]
    public async Task With_the_cores_switch_off_an_admin_may_turn_it_on()
    {
        var node = await Ui.AddNodeAsync("n1", "web");
        Ui.Connect(node, allowed: Capabilities.Shell);
        Ui.SignIn(Roles.Admin);

        var gate = Gate(node);

        gate.Find("[data-testid=gate-shell]").GetAttribute("data-lock").Should().Be(CapabilityLocks.CoreLock);
        gate.Find("h2").TextContent.Should().Contain("Terminal is turned off for this Node");
        gate.FindAll("[data-testid=gate-enable-shell]").Should().ContainSingle();
        gate.FindAll("[data-testid=terminal]").Should().BeEmpty();
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Viewer)]
    public async Task With_the_cores_switch_off_others_are_told_to_ask_an_admin(string role)
    {
        var node = await Ui.AddNodeAsync("n1", "web");
        Ui.Connect(node, allowed: Capabilities.Shell);
        Ui.SignIn(role);

        var gate = Gate(node);

        gate.FindAll("[data-testid=gate-enable-shell]").Should().BeEmpty();
        gate.Find(".sx-muted").TextContent.Should().Be("Ask an administrator to turn it on.");
    }

    [Fact]
    public async Task An_admin_turning_it_on_opens_the_gate_and_stores_the_switch()
    {
        var node = await Ui.AddNodeAsync("n1", "web");
        Ui.Connect(node, allowed: Capabilities.Shell);
        Ui.SignIn(Roles.Admin);
        var gate = Gate(node);

        await gate.Find("[data-testid=gate-enable-shell] ").ClickAsync(new MouseEventArgs());

        gate.WaitForAssertion(() => gate.Find("[data-testid=terminal]").TextContent.Should().Be("terminal"));
        await using var db = await Ui.Core<IDbContextFactory<SentinelDb>>().CreateDbContextAsync();
        (await db.Nodes.SingleAsync(n => n.Id == "n1")).Capabilities.Should().Be(Capabilities.Shell);
    }

    [Fact]
    public async Task A_server_whose_own_config_forbids_it_is_named_even_for_an_admin()
    {
        var node = await Ui.AddNodeAsync("n1", "web", r => r.Capabilities = Capabilities.Shell);
        Ui.Connect(node, allowed: Capabilities.Exec);
        Ui.SignIn(Roles.Admin);

        var gate = Gate(node);

        gate.Find("[data-testid=gate-shell]").GetAttribute("data-lock").Should().Be(CapabilityLocks.NodeLock);
        gate.Find("h2").TextContent.Should().Contain("The server's own config does not allow Terminal");
        gate.FindAll("button").Should().BeEmpty("nothing the Core does can open the server's lock");
    }

    [Fact]
    public async Task An_offline_node_says_it_works_again_on_reconnect()
    {
        var node = await Ui.AddNodeAsync("n1", "web", r => r.Capabilities = Capabilities.Files);
        Ui.SignIn(Roles.Admin);

        var gate = Gate(node, Capabilities.Files);

        gate.Find("[data-testid=gate-files]").GetAttribute("data-lock").Should().Be(CapabilityLocks.Offline);
        gate.Find("h2").TextContent.Should().Contain("The Node is offline");
    }

    [Fact]
    public async Task With_both_locks_open_the_content_shows()
    {
        var node = await Ui.AddNodeAsync("n1", "web", r => r.Capabilities = Capabilities.Shell);
        Ui.Connect(node, allowed: Capabilities.Shell);
        Ui.SignIn(Roles.Viewer);

        var gate = Gate(node);

        gate.Find("[data-testid=terminal]").TextContent.Should().Be("terminal");
        gate.FindAll(".sx-gate").Should().BeEmpty();
    }

    [Fact]
    public async Task The_closed_gate_in_chinese()
    {
        var node = await Ui.AddNodeAsync("n1", "web");
        Ui.Connect(node, allowed: Capabilities.Docker);
        Ui.SignIn(Roles.Admin).Speak("zh-CN");

        var gate = Gate(node, Capabilities.Docker);

        gate.Find("h2").TextContent.Should().Contain(T.Format("{0} is turned off for this Node", T["Docker"])).And.NotContain("turned off");
        gate.Find("[data-testid=gate-enable-docker]").TextContent.Should().Contain(T.Format("Turn on {0}", T["Docker"]));
    }
}
