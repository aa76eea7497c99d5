using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using SentinelX.App.Features.Probes;
using SentinelX.Tests.Api;
using Xunit;

namespace SentinelX.Tests.Probes;

/// <summary>
/// Probes end to end in one process: the API stores a probe, the Core syncs it to a real Node agent,
/// the Node's results ride on its samples into the database, and a probe rule fires when the
/// target goes away.
/// </summary>
[Trait("Tier", "Api")]
public sealed class ProbesApiTests(CoreApp core) : IClassFixture<CoreApp>
{
    [Fact]
    public async Task A_tcp_probe_runs_on_its_node_stores_results_and_fires_a_rule_when_the_port_closes()
    {
        using var admin = await core.ClientAsync();
        await using var node = await TestNode.StartOnlineAsync(core, admin, "probe-node", []);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var accepting = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!accepting.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(accepting.Token);
            }
        });

        using var created = await admin.PostAsJsonAsync("/api/v1/probes", new
        {
            name = "local port", type = "tcp", target = $"127.0.0.1:{port}", intervalSeconds = 5, nodeIds = new[] { node.Id },
        });
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var probeId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using (var rule = await admin.PostAsJsonAsync("/api/v1/alerts/rules", new
               {
                   name = "port down", scope = new { nodeIds = new[] { node.Id } }, condition = new { kind = "probe", probeId, failures = 1 },
               }))
            rule.StatusCode.Should().Be(HttpStatusCode.Created);

        var up = await Eventually.ValueAsync(async () =>
            (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, $"/api/v1/probes/{probeId}/results?node={node.Id}"))
            .FirstOrDefault(r => r.GetProperty("ok").GetBoolean()) is { ValueKind: JsonValueKind.Object } r ? (object)r : null, "an ok result stored");
        var result = (JsonElement)up;
        result.GetProperty("nodeId").GetString().Should().Be(node.Id);
        result.GetProperty("latencyMs").GetDouble().Should().BeInRange(0, 1000);

        await accepting.CancelAsync();
        listener.Stop();
        var fired = await Eventually.ValueAsync(async () =>
            (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/alerts/events?state=firing")).Cast<JsonElement?>()
            .FirstOrDefault(e => e!.Value.GetProperty("nodeId").GetString() == node.Id) is { } e ? (object)e : null, "the probe rule fired");
        ((JsonElement)fired).GetProperty("message").GetString().Should().StartWith("probe local port failed 1 checks in a row:");
        // Rules see a sample as it arrives, before it is stored: the failed check lands a moment later.
        await Eventually.ValueAsync(async () =>
            (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, $"/api/v1/probes/{probeId}/results?node={node.Id}"))
            .Any(r => !r.GetProperty("ok").GetBoolean() && r.GetProperty("error").GetString()!.Length > 0) ? "" : null, "a failed result stored");

        // Rollups are computed from what is stored.
        await core.Services.GetRequiredService<ProbeRollupJob>().RollUpAsync(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), CancellationToken.None);
        var series = await core.Services.GetRequiredService<ProbeResultsQuery>().SeriesAsync(probeId,
            DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), CancellationToken.None);
        series[node.Id].Sum(p => p.Checks).Should().BeGreaterThanOrEqualTo(2);
        series[node.Id].Should().Contain(p => p.LossPercent > 0);

        using (var deleted = await admin.DeleteAsync($"/api/v1/probes/{probeId}")) deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("""{"name":"x","type":"smtp","target":"a:25","nodeIds":["NODE"]}""", "type")]
    [InlineData("""{"name":"x","type":"http","target":"file:///etc/passwd","nodeIds":["NODE"]}""", "target")]
    [InlineData("""{"name":"x","type":"tcp","target":"host-without-port","nodeIds":["NODE"]}""", "target")]
    [InlineData("""{"name":"x","type":"icmp","target":"a\r\nb","nodeIds":["NODE"]}""", "target")]
    [InlineData("""{"name":"x","type":"icmp","target":"1.1.1.1","intervalSeconds":1,"nodeIds":["NODE"]}""", "intervalSeconds")]
    [InlineData("""{"name":"x","type":"icmp","target":"1.1.1.1","nodeIds":["nope"]}""", "nodeIds")]
    [InlineData("""{"name":"x","type":"icmp","target":"1.1.1.1"}""", "nodeIds")]
    [InlineData("""{"name":"","type":"icmp","target":"1.1.1.1","nodeIds":["NODE"]}""", "name")]
    public async Task Hostile_probes_are_refused_naming_the_field(string body, string field)
    {
        using var admin = await core.ClientAsync();
        var enrolled = await core.EnrollAsync("probe-hostile-" + Guid.NewGuid().ToString("N")[..6]);
        using var content = new StringContent(body.Replace("NODE", enrolled.NodeId, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");
        using var refused = await admin.PostAsync("/api/v1/probes", content);
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(problem.ToString());
        (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/probes")).Should().NotContain(p => p.GetProperty("name").GetString() == "x");
    }

    [Fact]
    public async Task Viewers_read_probes_and_only_operators_change_them()
    {
        using var viewer = await core.ClientAsync("viewer");
        using (var read = await viewer.GetAsync("/api/v1/probes")) read.StatusCode.Should().Be(HttpStatusCode.OK);
        using (var write = await viewer.PostAsJsonAsync("/api/v1/probes", new { name = "x" })) write.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var anonymous = await core.Http.GetAsync("/api/v1/probes")) anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using (var missing = await viewer.GetAsync("/api/v1/probes/nope/results")) missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
