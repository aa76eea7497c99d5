using AngleSharp.Dom;
using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Forwards;
using SentinelX.Tests.Ui;
using Xunit;
using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Forwards;

/// <summary>The new-forward form: its messages for hostile values, and what it saves through the real service.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class ForwardEditDialogTests : ComponentTest
{
    private async Task<IRenderedComponent<ForwardEditDialog>> FormAsync(string role = Roles.Operator)
    {
        // Forwarding is on in the Core; the Node is offline, so rules are stored and wait for it.
        await Ui.AddNodeAsync("a", "entry-a", r => r.Capabilities = SentinelX.Shared.Protocol.Capabilities.Forward);
        Ui.SignIn(role);
        return Ui.Render<ForwardEditDialog>();
    }

    // Radzen puts the test id on the input itself or on a wrapper around it.
    private static IElement Field(IRenderedComponent<ForwardEditDialog> form, string name)
    {
        var element = form.Find($"[data-testid=forward-field-{name}]");
        return element.LocalName is "input" or "textarea" or "select" ? element : element.QuerySelector("input, textarea")!;
    }

    private static async Task FillAsync(IRenderedComponent<ForwardEditDialog> form, string name, string port, string targets)
    {
        await Field(form, "name").ChangeAsync(new ChangeEventArgs { Value = name });
        await Field(form, "node").ChangeAsync(new ChangeEventArgs { Value = "a" });
        await Field(form, "listen-port").ChangeAsync(new ChangeEventArgs { Value = port });
        await Field(form, "targets").ChangeAsync(new ChangeEventArgs { Value = targets });
    }

    private static string? Error(IRenderedComponent<ForwardEditDialog> form, string field) =>
        form.FindAll($"[data-testid=forward-error-{field}]").SingleOrDefault()?.TextContent;

    private async Task<IReadOnlyList<ForwardView>> SavedAsync() => await Ui.Core<ForwardService>().ListAsync();

    [Fact]
    public async Task An_empty_form_names_every_missing_field_and_saves_nothing()
    {
        var form = await FormAsync();

        await form.Find("[data-testid=forward-save]").ClickAsync(new MouseEventArgs());

        Error(form, "name").Should().Be("Name must be 1 to 100 characters without control characters.");
        Error(form, "nodeId").Should().Be("Choose the Node that listens.");
        Error(form, "listenPort").Should().Be("Pick a port from 1 to 65535.");
        Error(form, "targets").Should().Be("Add at least one target as host:port.");
        form.Find("[data-testid=forward-invalid]").TextContent.Should().Be("Some fields need attention.");
        (await SavedAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task The_messages_speak_chinese()
    {
        var form = await FormAsync();
        Ui.Speak("zh-CN");

        await form.Find("[data-testid=forward-save]").ClickAsync(new MouseEventArgs());

        Error(form, "listenPort").Should().Be(T["Pick a port from 1 to 65535."]).And.NotContain("Pick");
        Error(form, "targets").Should().Be(T["Add at least one target as host:port."]);
    }

    [Fact]
    public async Task A_name_past_the_limit_is_refused()
    {
        var form = await FormAsync();

        await FillAsync(form, new string('x', 101), "10080", "10.0.0.5:80");
        await form.Find("[data-testid=forward-save]").ClickAsync(new MouseEventArgs());

        Error(form, "name").Should().Be("Name must be 1 to 100 characters without control characters.");
        (await SavedAsync()).Should().BeEmpty();
    }

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("-1")]
    public async Task A_listen_port_out_of_range_is_never_saved(string port)
    {
        var form = await FormAsync();

        await FillAsync(form, "web", port, "10.0.0.5:80");
        await form.Find("[data-testid=forward-save]").ClickAsync(new MouseEventArgs());

        // The numeric box clamps to 1..65535 or the form refuses: either way no rule listens outside the range.
        var saved = await SavedAsync();
        if (saved.Count == 0) Error(form, "listenPort").Should().Be("Pick a port from 1 to 65535.");
        else saved.Should().OnlyContain(r => r.ListenPort >= 1 && r.ListenPort <= 65535);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("10.0.0.5:0")]
    [InlineData("10.0.0.5:70000")]
    [InlineData("2001:db8::1:443")]
    [InlineData("<script>alert(1)</script>:80")]
    public async Task A_target_that_is_not_host_and_port_is_named_in_the_message(string target)
    {
        var form = await FormAsync();

        await FillAsync(form, "web", "10080", "10.0.0.5:80\n" + target);
        await form.Find("[data-testid=forward-save]").ClickAsync(new MouseEventArgs());

        Error(form, "targets").Should().Be($"\"{target}\" is not host:port (IPv6 as [addr]:port).");
        form.FindAll("script").Should().BeEmpty();
        (await SavedAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_valid_rule_with_a_unicode_name_and_an_ipv6_target_is_saved_as_typed()
    {
        var form = await FormAsync();

        await FillAsync(form, "  网页-1 ", "10080", "[2001:db8::1]:443\n backend.example:8080 \n");
        await form.Find("[data-testid=forward-save]").ClickAsync(new MouseEventArgs());

        var rule = (await SavedAsync()).Should().ContainSingle().Subject;
        rule.Name.Should().Be("网页-1");
        rule.NodeId.Should().Be("a");
        rule.ListenPort.Should().Be(10080);
        rule.Targets.Should().Equal("[2001:db8::1]:443", "backend.example:8080");
        form.FindAll("[data-testid=forward-problem]").Should().BeEmpty();
    }

    [Fact]
    public async Task A_viewer_cannot_save_even_when_the_form_is_reached()
    {
        var form = await FormAsync(Roles.Viewer);

        await FillAsync(form, "web", "10080", "10.0.0.5:80");
        await form.Find("[data-testid=forward-save]").ClickAsync(new MouseEventArgs());

        form.Find("[data-testid=forward-not-saved]").TextContent.Should().Be("Not saved: Not allowed");
        (await SavedAsync()).Should().BeEmpty();
    }
}
