using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>The two locks on every capability, read and changed through the API, and the audit log they write.</summary>
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
    public async Task Every_capability_starts_off_and_an_admin_turns_it_on()
    {
        await using var node = _core.NewNode("locks");
        node.ExtraArgs.AddRange(["--allow", "exec,shell,files,docker,forward"]);
        var id = await _core.StartOnlineNodeAsync(node, _admin);

        var view = await CoreInstance.GetJsonAsync<CapabilitiesView>(_admin, $"/api/v1/nodes/{id}/capabilities");
        view.Capabilities.Select(c => c.Name).Should().Equal("exec", "shell", "files", "docker", "forward");
        view.Capabilities.Should().OnlyContain(c => !c.Enabled && c.AllowedByNode == true && !c.Usable);

        view = await CoreInstance.SetCapabilitiesAsync(_admin, id, new Dictionary<string, bool> { ["exec"] = true, ["files"] = true });
        view.Capabilities.Where(c => c.Usable).Select(c => c.Name).Should().Equal("exec", "files");

        view = await CoreInstance.SetCapabilitiesAsync(_admin, id, new Dictionary<string, bool> { ["files"] = false });
        view.Capabilities.Where(c => c.Enabled).Select(c => c.Name).Should().Equal("exec");

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?node={id}&action=capability.set");
        audit.Should().HaveCount(2);
        audit[0].Target.Should().Be("files off");
        audit[1].Target.Should().Be("exec on, files on");
        audit.Should().OnlyContain(e => e.Actor == "test-admin" && e.ActorKind == "token" && e.Address == "127.0.0.1" && e.Result == "ok");
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
    public async Task Only_admins_change_capabilities_and_bad_bodies_are_refused()
    {
        await using var node = _core.NewNode("guarded");
        var id = await _core.StartOnlineNodeAsync(node, _admin);
        using var operatorClient = await _core.ClientAsync("operator");
        using var viewer = await _core.ClientAsync("viewer");

        using (var response = await operatorClient.PutAsJsonAsync($"/api/v1/nodes/{id}/capabilities", new { exec = true }))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var response = await viewer.GetAsync($"/api/v1/nodes/{id}/capabilities"))
            response.StatusCode.Should().Be(HttpStatusCode.OK, "anyone may see the locks");
        using (var response = await viewer.GetAsync("/api/v1/audit"))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "viewers cannot read the audit log");
        using (var response = await operatorClient.GetAsync("/api/v1/audit"))
            response.StatusCode.Should().Be(HttpStatusCode.OK);

        foreach (var body in new[] { """{"exec":"yes"}""", """{"root":true}""", "[1]" })
        {
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            using var response = await _admin.PutAsync($"/api/v1/nodes/{id}/capabilities", content);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, body);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            problem.GetProperty("detail").GetString().Should().NotBeNullOrEmpty();
        }

        using (var response = await _admin.PutAsJsonAsync("/api/v1/nodes/nope/capabilities", new { exec = true }))
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await CoreInstance.GetJsonAsync<CapabilitiesView>(_admin, $"/api/v1/nodes/{id}/capabilities"))
            .Capabilities.Should().OnlyContain(c => !c.Enabled, "refused changes store nothing");
    }

    [Fact]
    public async Task Token_user_key_and_node_changes_are_in_the_audit_log_with_who_and_from_where()
    {
        using (var created = await CoreInstance.PostJsonAsync(_admin, "/api/v1/tokens", new { name = "backup-script", role = "viewer" }))
        {
            created.StatusCode.Should().Be(HttpStatusCode.Created);
            var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetProperty("id").GetString();
            using var revoked = await _admin.DeleteAsync($"/api/v1/tokens/{id}");
            revoked.StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        (await _core.CliAsync("user", "add", "olga", "--role", "operator")).Code.Should().Be(0);
        (await _core.CliAsync("key", "rotate")).Code.Should().Be(0);
        await using var node = _core.NewNode("doomed");
        var nodeId = await _core.StartOnlineNodeAsync(node, _admin);
        using (var removed = await _admin.DeleteAsync($"/api/v1/nodes/{nodeId}"))
            removed.StatusCode.Should().Be(HttpStatusCode.NoContent);

        var entries = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?limit=50");
        var actions = entries.Select(e => $"{e.Action} {e.Target} by {e.Actor} ({e.ActorKind})").ToList();
        actions.Should().ContainInOrder(
            "node.remove doomed by test-admin (token)",
            "key.rotate enrollment key by cli (cli)",
            "user.create olga by cli (cli)",
            "token.revoke backup-script by test-admin (token)",
            "token.create backup-script by test-admin (token)");
        entries.Where(e => e.ActorKind == "token").Should().OnlyContain(e => e.Address == "127.0.0.1");
        entries.Single(e => e.Action == "node.remove").NodeId.Should().Be(nodeId);

        var onlyTokens = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?action=token.");
        // The test's own admin token was created with the CLI, so there are two creations.
        onlyTokens.Select(e => e.Action).Should().Equal(["token.revoke", "token.create", "token.create"], "a trailing dot filters by prefix");
        var byCli = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?actor=cli");
        byCli.Should().OnlyContain(e => e.Actor == "cli").And.NotBeEmpty();
        using (var bad = await _admin.GetAsync("/api/v1/audit?limit=0"))
            bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var older = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?before={entries[1].Id}&limit=1");
        older.Should().ContainSingle().Which.Id.Should().Be(entries[2].Id, "paging goes back from an id");
    }
}
