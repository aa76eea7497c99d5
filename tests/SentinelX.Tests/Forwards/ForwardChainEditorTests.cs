using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using SentinelX.App.Features.Forwards;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Forwards;

/// <summary>The relay chain part of the forward form: turning it on, adding, moving and removing hops.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class ForwardChainEditorTests : ComponentTest
{
    private static readonly NodeChoice[] Nodes = [new("a", "entry-a"), new("b", "relay-b"), new("c", "exit-c (offline)")];

    private IRenderedComponent<ForwardChainEditor> Editor(ForwardForm form, Dictionary<string, string>? errors = null) =>
        Ui.Render<ForwardChainEditor>(p => p
            .Add(e => e.Form, form)
            .Add(e => e.Nodes, Nodes)
            .Add(e => e.Errors, errors ?? new Dictionary<string, string>()));

    private static IEnumerable<string> Titles(IRenderedComponent<ForwardChainEditor> editor) =>
        editor.FindAll(".sx-fwd-hop-head strong").Select(s => s.TextContent);

    [Fact]
    public async Task Turning_the_chain_on_starts_at_the_chosen_entry_with_an_exit_after_it()
    {
        var form = new ForwardForm { NodeId = "a" };
        var editor = Editor(form);
        editor.FindAll("[data-testid=forward-hop]").Should().BeEmpty();

        await editor.Find("[data-testid=forward-field-use-chain] input").ChangeAsync(new ChangeEventArgs { Value = true });

        Titles(editor).Should().Equal("Entry (clients connect here)", "Exit (connects to the targets)");
        form.Chain.Select(h => h.NodeId).Should().Equal("a", "");
        editor.FindAll("[data-testid=forward-hop-node]")[0].GetAttribute("value").Should().Be("a");
        editor.FindAll("[data-testid=forward-hop-transport]").Should().ContainSingle("the entry has no hop before it");
    }

    [Fact]
    public async Task Added_hops_are_relays_between_entry_and_exit()
    {
        var form = new ForwardForm { NodeId = "a" };
        form.StartChain();
        var editor = Editor(form);

        await editor.Find("[data-testid=forward-hop-add]").ClickAsync(new MouseEventArgs());

        form.Chain.Should().HaveCount(3);
        Titles(editor).Should().Equal("Entry (clients connect here)", "Relay 1", "Exit (connects to the targets)");
    }

    [Fact]
    public void The_first_hop_cannot_move_up_and_the_last_cannot_move_down()
    {
        var form = new ForwardForm();
        form.StartChain();
        var editor = Editor(form);

        var up = editor.FindAll("[data-testid=forward-hop-up]");
        var down = editor.FindAll("[data-testid=forward-hop-down]");
        up[0].HasAttribute("disabled").Should().BeTrue();
        up[1].HasAttribute("disabled").Should().BeFalse();
        down[0].HasAttribute("disabled").Should().BeFalse();
        down[1].HasAttribute("disabled").Should().BeTrue();
    }

    [Fact]
    public async Task Moving_a_hop_down_swaps_it_with_the_next()
    {
        var form = new ForwardForm { NodeId = "a" };
        form.StartChain();
        form.Chain[1].NodeId = "c";
        var editor = Editor(form);

        await editor.FindAll("[data-testid=forward-hop-down]")[0].ClickAsync(new MouseEventArgs());

        form.Chain.Select(h => h.NodeId).Should().Equal("c", "a");
        editor.FindAll("[data-testid=forward-hop-node]").Select(s => s.GetAttribute("value")).Should().Equal("c", "a");
    }

    [Fact]
    public async Task Turning_the_chain_off_keeps_the_entry_node_for_the_direct_rule()
    {
        var form = new ForwardForm();
        form.StartChain();
        form.Chain[0].NodeId = "b";
        var editor = Editor(form);

        await editor.Find("[data-testid=forward-field-use-chain] input").ChangeAsync(new ChangeEventArgs { Value = false });

        form.HasChain.Should().BeFalse();
        form.NodeId.Should().Be("b");
        editor.FindAll("[data-testid=forward-hop]").Should().BeEmpty();
    }

    [Fact]
    public async Task A_websocket_hop_asks_for_a_path_and_host_header()
    {
        var form = new ForwardForm();
        form.StartChain();
        var editor = Editor(form);
        editor.FindAll("[data-testid=forward-hop-path]").Should().BeEmpty("tls needs no path");

        await editor.Find("[data-testid=forward-hop-transport]").ChangeAsync(new ChangeEventArgs { Value = HopTransports.Wss });

        form.Chain[1].Transport.Should().Be(HopTransports.Wss);
        editor.FindAll("[data-testid=forward-hop-path]").Should().ContainSingle();
        editor.FindAll("[data-testid=forward-hop-host-header]").Should().ContainSingle();
    }

    [Fact]
    public void The_add_button_goes_away_at_the_most_hops_a_chain_may_have()
    {
        var form = new ForwardForm();
        for (var i = 0; i < ForwardLimits.MaxHops; i++) form.Chain.Add(new HopForm());

        Editor(form).FindAll("[data-testid=forward-hop-add]").Should().BeEmpty();
    }

    [Fact]
    public void Errors_appear_beside_the_hop_they_name_as_text()
    {
        var form = new ForwardForm();
        form.StartChain();

        var editor = Editor(form, new Dictionary<string, string>
        {
            ["chain[1].port"] = "Pick a port from 1 to 65535, or leave it empty.",
            ["chain[1].host"] = "<b>not a host</b>",
        });

        editor.Find("[data-testid='forward-error-chain[1].port']").TextContent.Should().Be("Pick a port from 1 to 65535, or leave it empty.");
        editor.Find("[data-testid='forward-error-chain[1].host']").TextContent.Should().Be("<b>not a host</b>");
        editor.FindAll("b").Should().BeEmpty();
    }

    [Fact]
    public void Hop_titles_in_chinese()
    {
        Ui.Speak("zh-CN");
        var form = new ForwardForm();
        form.StartChain();
        form.Chain.Insert(1, new HopForm());

        Titles(Editor(form)).Should().Equal(T["Entry (clients connect here)"], T.Format("Relay {0}", 1), T["Exit (connects to the targets)"])
            .And.NotContain("Relay 1");
    }
}
