using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Xunit;

using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Api;

/// <summary>The two locks on every capability, read and changed through the API, and the audit log they write.</summary>
[Trait("Tier", "Api")]
[Collection(CoreInProcess.Name)]
public sealed class RemoteAccessApiTests(CoreApp core) : IClassFixture<CoreApp>, IAsyncLifetime
{
    private HttpClient _admin = null!;

    public async Task InitializeAsync() => _admin = await core.ClientAsync();

    public Task DisposeAsync()
    {
        _admin.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_capability_starts_off_and_an_admin_turns_it_on()
    {
        await using var node = await TestNode.StartOnlineAsync(core, _admin, "locks", ["exec", "shell", "files", "docker", "forward"]);
        var id = node.Id;

        var view = await CoreApp.GetJsonAsync<CapabilitiesView>(_admin, $"/api/v1/nodes/{id}/capabilities");
        view.Capabilities.Select(c => c.Name).Should().Equal("exec", "shell", "files", "docker", "forward");
        view.Capabilities.Should().OnlyContain(c => !c.Enabled && c.AllowedByNode == true && !c.Usable);

        view = await CoreApp.SetCapabilitiesAsync(_admin, id, new Dictionary<string, bool> { ["exec"] = true, ["files"] = true });
        view.Capabilities.Where(c => c.Usable).Select(c => c.Name).Should().Equal("exec", "files");

        view = await CoreApp.SetCapabilitiesAsync(_admin, id, new Dictionary<string, bool> { ["files"] = false });
        view.Capabilities.Where(c => c.Enabled).Select(c => c.Name).Should().Equal("exec");

        var audit = await CoreApp.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?node={id}&action=capability.set");
        audit.Should().HaveCount(2);
        audit[0].Target.Should().Be("files off");
        audit[1].Target.Should().Be("exec on, files on");
        audit.Should().OnlyContain(e => e.Actor == "test-admin" && e.ActorKind == "token" && e.Address == "127.0.0.1" && e.Result == "ok");
    }

    [Fact]
    public async Task Only_admins_change_capabilities_and_bad_bodies_are_refused()
    {
        await using var node = await TestNode.StartOnlineAsync(core, _admin, "guarded", []);
        var id = node.Id;
        using var operatorClient = await core.ClientAsync("operator");
        using var viewer = await core.ClientAsync("viewer");

        using (var response = await operatorClient.PutAsJsonAsync($"/api/v1/nodes/{id}/capabilities", new { exec = true }))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var response = await viewer.GetAsync($"/api/v1/nodes/{id}/capabilities"))
            response.StatusCode.Should().Be(HttpStatusCode.OK, "anyone may see the locks");
        using (var response = await viewer.GetAsync("/api/v1/audit"))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "viewers cannot read the audit log");
        using (var response = await operatorClient.GetAsync("/api/v1/audit"))
            response.StatusCode.Should().Be(HttpStatusCode.OK);

        string[] hostile = ["""{"exec":"yes"}""", """{"root":true}""", "[1]", """{"exec":1}""", """{"exec":null}""", """{"__proto__":{"exec":true}}""", "{", ""];
        foreach (var body in hostile)
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await _admin.PutAsync($"/api/v1/nodes/{id}/capabilities", content);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, body);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            problem.GetProperty("detail").GetString().Should().NotBeNullOrEmpty();
        }

        using (var response = await _admin.PutAsJsonAsync("/api/v1/nodes/nope/capabilities", new { exec = true }))
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await CoreApp.GetJsonAsync<CapabilitiesView>(_admin, $"/api/v1/nodes/{id}/capabilities"))
            .Capabilities.Should().OnlyContain(c => !c.Enabled, "refused changes store nothing");
    }

    [Fact]
    public async Task Token_and_node_changes_are_in_the_audit_log_with_who_and_from_where()
    {
        using (var created = await CoreApp.PostJsonAsync(_admin, "/api/v1/tokens", new { name = "backup-script", role = "viewer" }))
        {
            created.StatusCode.Should().Be(HttpStatusCode.Created);
            var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetProperty("id").GetString();
            using var revoked = await _admin.DeleteAsync($"/api/v1/tokens/{id}");
            revoked.StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        await using var node = await TestNode.StartOnlineAsync(core, _admin, "doomed", []);
        var nodeId = node.Id;
        using (var removed = await _admin.DeleteAsync($"/api/v1/nodes/{nodeId}"))
            removed.StatusCode.Should().Be(HttpStatusCode.NoContent);

        var entries = await CoreApp.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?limit=50");
        var actions = entries.Select(e => $"{e.Action} {e.Target} by {e.Actor} ({e.ActorKind})").ToList();
        actions.Should().ContainInOrder(
            "node.remove doomed by test-admin (token)",
            "token.revoke backup-script by test-admin (token)",
            "token.create backup-script by test-admin (token)");
        entries.Where(e => e.ActorKind == "token").Should().OnlyContain(e => e.Address == "127.0.0.1");
        entries.Single(e => e.Action == "node.remove").NodeId.Should().Be(nodeId);

        var onlyTokens = await CoreApp.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?action=token.");
        // The test's own tokens come from the token service directly, which audits nothing.
        onlyTokens.Select(e => e.Action).Should().Equal(["token.revoke", "token.create"], "a trailing dot filters by prefix");
        var byToken = await CoreApp.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?actor=test-admin");
        byToken.Should().OnlyContain(e => e.Actor == "test-admin").And.NotBeEmpty();
        foreach (var bad in new[] { "limit=0", "limit=-1", "limit=999999999999", "before=abc", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z" })
        {
            using var response = await _admin.GetAsync("/api/v1/audit?" + bad);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, bad);
        }
        var older = await CoreApp.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?before={entries[1].Id}&limit=1");
        older.Should().ContainSingle().Which.Id.Should().Be(entries[2].Id, "paging goes back from an id");
        (await CoreApp.GetJsonAsync<List<AuditEntryView>>(_admin, "/api/v1/audit?action=%27%20OR%201%3D1--")).Should().BeEmpty("a filter is a value, never SQL");
    }
}
