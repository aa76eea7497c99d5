using System.Diagnostics.CodeAnalysis;
using System.Net;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// What the locks and the audit log need real processes for: the Node binary's own allow-list
/// handling and the CLI's audit entries. Roles, lock changes and API audit entries are tested in-process (tests/SentinelX.Tests/Api).
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class RemoteAccessTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        _admin = await _core.ClientAsync();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task A_node_whose_config_names_no_allow_list_allows_nothing_even_with_every_core_switch_on()
    {
        await using var node = _core.NewNode("default-closed");
        node.Environment["SENTINELX_NODE_ALLOW"] = "";
        node.ExtraArgs.AddRange(["--config", Path.Combine(node.DataDir, "absent-is-fine.json")]);
        await File.WriteAllTextAsync(Path.Combine(node.DataDir, "absent-is-fine.json"), "{}");
        var id = await _core.StartOnlineNodeAsync(node, _admin);
        (await CoreInstance.GetJsonAsync<CapabilitiesView>(_admin, $"/api/v1/nodes/{id}/capabilities"))
            .Capabilities.Should().OnlyContain(c => !c.Enabled, "every Core switch starts off");

        var view = await CoreInstance.SetCapabilitiesAsync(_admin, id, new Dictionary<string, bool> { ["exec"] = true, ["shell"] = true, ["files"] = true, ["docker"] = true, ["forward"] = true });

        view.Capabilities.Should().OnlyContain(c => c.Enabled && c.AllowedByNode == false && !c.Usable);
        using var exec = await CoreInstance.PostJsonAsync(_admin, $"/api/v1/nodes/{id}/exec", new { command = "id" });
        exec.StatusCode.Should().Be(HttpStatusCode.Forbidden, await exec.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_monitor_only_node_reports_that_it_allows_nothing()
    {
        await using var node = _core.NewNode("monitor-only");
        node.ExtraArgs.Add("--monitor-only");
        var id = await _core.StartOnlineNodeAsync(node, _admin, "exec", "shell", "files", "docker", "forward");

        var view = await CoreInstance.GetJsonAsync<CapabilitiesView>(_admin, $"/api/v1/nodes/{id}/capabilities");
        view.Capabilities.Should().OnlyContain(c => c.Enabled && c.AllowedByNode == false && !c.Usable);
    }

    [Fact]
    public async Task Cli_changes_are_in_the_audit_log_as_the_cli()
    {
        (await _core.CliAsync("user", "add", "olga", "--role", "operator")).Code.Should().Be(0);
        (await _core.CliAsync("key", "rotate")).Code.Should().Be(0);

        var entries = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?limit=50");
        entries.Select(e => $"{e.Action} {e.Target} by {e.Actor} ({e.ActorKind})").Should().ContainInOrder(
            "key.rotate enrollment key by cli (cli)",
            "user.create olga by cli (cli)",
            "token.create test-admin by cli (cli)");
        var byCli = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?actor=cli");
        byCli.Should().OnlyContain(e => e.Actor == "cli").And.HaveCount(3);
    }
}
