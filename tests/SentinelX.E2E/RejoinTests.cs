using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// Re-joining an existing Node's record with real Core and Node processes: the fleet key and a
/// machine id get a pending request, never the Node's identity; an administrator decides.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class RejoinTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();

    public Task InitializeAsync() => _core.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    private sealed record JoinView(string Id, string NodeId, string NodeName, string Name, string Hostname, string? RemoteAddress);

    [Fact]
    public async Task The_fleet_key_cannot_take_a_node_over_and_an_approved_reinstall_keeps_its_id()
    {
        using var admin = await _core.ClientAsync();
        await using var node = _core.NewNode("tokyo");
        var id = await _core.StartOnlineNodeAsync(node, admin);
        var key = await _core.EnrollmentKeyAsync();

        // Someone with the fleet key and tokyo's machine id (readable by any local user there).
        using var attacker = new HttpClient { BaseAddress = new Uri(_core.Url) };
        attacker.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var takeover = await attacker.PostAsJsonAsync("/api/v1/node/enroll",
            new { machineId = node.MachineId, hostname = "evil", protocolVersion = 1, agentVersion = "1.0.0" });
        var answer = JsonDocument.Parse(await takeover.Content.ReadAsStringAsync()).RootElement;

        takeover.StatusCode.Should().Be(HttpStatusCode.Accepted, answer.ToString());
        answer.TryGetProperty("nodeId", out _).Should().BeFalse();
        answer.TryGetProperty("secret", out _).Should().BeFalse();
        var requestId = answer.GetProperty("requestId").GetString()!;
        var ticket = answer.GetProperty("ticket").GetString()!;
        var pending = await CoreInstance.GetJsonAsync<List<JoinView>>(admin, "/api/v1/nodes/pending");
        pending.Should().ContainSingle(p => p.Id == requestId && p.NodeId == id && p.Name == "evil" && p.RemoteAddress == "127.0.0.1");
        (await CoreInstance.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes")).Should().ContainSingle(n => n.Id == id && n.Online);
        node.Output.Should().NotContain("disconnected", "the real Node keeps its session");

        using (var rejected = await admin.PostAsync($"/api/v1/nodes/pending/{requestId}/reject", null))
            rejected.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using (var poll = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/node/enroll/{requestId}"))
        {
            poll.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ticket);
            using var plain = new HttpClient { BaseAddress = new Uri(_core.Url) };
            using var refused = await plain.SendAsync(poll);
            refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }

        using (var unknown = await admin.PostAsync("/api/v1/nodes/pending/no-such-request/approve", null))
        {
            unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
            unknown.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }

        using (var operatorClient = await _core.ClientAsync("operator"))
        using (var forbidden = await operatorClient.GetAsync("/api/v1/nodes/pending"))
            forbidden.StatusCode.Should().Be(HttpStatusCode.Forbidden, "only admins see and decide join requests");

        // tokyo is reinstalled without its data: it asks to re-join and waits for an administrator.
        await node.StopAsync();
        File.Delete(Path.Combine(node.DataDir, "identity.json"));
        await node.StartAsync();
        var request = await Eventually.ValueAsync(async () =>
            (await CoreInstance.GetJsonAsync<List<JoinView>>(admin, "/api/v1/nodes/pending")).SingleOrDefault(p => p.NodeId == id && p.Name == "tokyo"),
            TimeSpan.FromSeconds(30), "tokyo's join request");
        await Eventually.WaitAsync(() => Task.FromResult(node.Output.Contains("waiting for an administrator to approve this server's re-join", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "the Node says it waits", () => node.Output);

        using (var approved = await admin.PostAsync($"/api/v1/nodes/pending/{request.Id}/approve", null))
            approved.StatusCode.Should().Be(HttpStatusCode.NoContent);

        await Eventually.WaitAsync(async () => (await CoreInstance.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes")).Any(n => n.Id == id && n.Online),
            TimeSpan.FromSeconds(40), "tokyo back online as the same node", () => node.Output + _core.Output);
        (await CoreInstance.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes")).Should().ContainSingle();
        node.Output.Should().Contain("approved this server's re-join");

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(admin, $"/api/v1/audit?node={id}&action=node.");
        audit.Select(e => e.Action).Should().Contain(["node.enroll", "node.rejoin.request", "node.rejoin.reject", "node.rejoin.approve"]);
        audit.Should().Contain(e => e.Action == "node.rejoin.request" && e.Target.StartsWith("evil") && e.Address == "127.0.0.1");
        audit.Should().Contain(e => e.Action == "node.rejoin.approve" && e.Actor == "test-admin" && e.ActorKind == "token");
    }

    [Fact]
    public async Task Enrollment_with_a_wrong_key_is_refused_and_audited()
    {
        using var stranger = new HttpClient { BaseAddress = new Uri(_core.Url) };
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sxk_wrong");
        using var refused = await stranger.PostAsJsonAsync("/api/v1/node/enroll",
            new { machineId = "m-1", hostname = "probe\u0007\nhost", protocolVersion = 1, agentVersion = "1.0.0" });
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        using var admin = await _core.ClientAsync();
        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(admin, "/api/v1/audit?action=node.enroll");
        audit.Should().ContainSingle(e => e.Result == "refused" && e.Detail == "wrong enrollment key" && e.Address == "127.0.0.1" && e.Target == "probehost");
    }
}
