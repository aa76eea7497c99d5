using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using SentinelX.App.Features.Alerts;
using SentinelX.Tests.Api;
using Xunit;

namespace SentinelX.Tests.Alerts;

/// <summary><c>/api/v1/alerts</c> on an in-process Core: the contract, roles, hostile bodies and the audit trail.</summary>
[Trait("Tier", "Api")]
public sealed class AlertsApiTests(CoreApp core) : IClassFixture<CoreApp>
{
    private const string CpuRule = """{"name":"cpu","scope":{"all":true},"condition":{"kind":"metric","metric":"cpuPercent","op":">","threshold":80,"forSeconds":30},"severity":"critical","channels":[],"repeatMinutes":0,"muted":false}""";

    [Fact]
    public async Task Rules_are_created_read_changed_and_deleted_as_the_contract_says()
    {
        using var admin = await core.ClientAsync();
        using var created = await PostAsync(admin, "/api/v1/alerts/rules", CpuRule);
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var rule = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = rule.GetProperty("id").GetString()!;
        created.Headers.Location!.ToString().Should().Be($"/api/v1/alerts/rules/{id}");
        rule.GetProperty("condition").GetProperty("threshold").GetDouble().Should().Be(80);
        rule.GetProperty("condition").GetProperty("forSeconds").GetInt32().Should().Be(30);
        rule.GetProperty("scope").GetProperty("all").GetBoolean().Should().BeTrue();
        rule.GetProperty("severity").GetString().Should().Be("critical");
        rule.GetProperty("enabled").GetBoolean().Should().BeTrue();

        var listed = await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/alerts/rules");
        listed.Should().Contain(r => r.GetProperty("id").GetString() == id);

        using var body = Json(CpuRule.Replace("\"threshold\":80", "\"threshold\":95", StringComparison.Ordinal));
        using var changed = await admin.PutAsync($"/api/v1/alerts/rules/{id}", body);
        changed.StatusCode.Should().Be(HttpStatusCode.OK);
        (await CoreApp.GetJsonAsync<JsonElement>(admin, $"/api/v1/alerts/rules/{id}")).GetProperty("condition").GetProperty("threshold").GetDouble().Should().Be(95);
        core.Services.GetRequiredService<AlertEngine>().Rules.Should().Contain(r => r.Id == id && ((MetricCondition)r.Condition).Threshold == 95);

        using (var deleted = await admin.DeleteAsync($"/api/v1/alerts/rules/{id}")) deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using (var gone = await admin.GetAsync($"/api/v1/alerts/rules/{id}")) gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        using (var again = await admin.DeleteAsync($"/api/v1/alerts/rules/{id}")) again.StatusCode.Should().Be(HttpStatusCode.NotFound);

        var audit = await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/audit?limit=500");
        audit.Select(a => a.GetProperty("action").GetString()).Should().Contain(["alert.rule.create", "alert.rule.update", "alert.rule.delete"]);
    }

    [Fact]
    public async Task Viewers_read_operators_change_and_strangers_get_nothing()
    {
        using var viewer = await core.ClientAsync("viewer");
        using var op = await core.ClientAsync("operator");
        using (var anonymous = await core.Http.GetAsync("/api/v1/alerts/rules")) anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using (var anonymous = await core.Http.GetAsync("/api/v1/alerts/events")) anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using (var read = await viewer.GetAsync("/api/v1/alerts/events")) read.StatusCode.Should().Be(HttpStatusCode.OK);
        using (var write = await PostAsync(viewer, "/api/v1/alerts/rules", CpuRule)) write.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var silence = await PostAsync(viewer, "/api/v1/alerts/silences", """{"endsAt":"2099-01-01T00:00:00Z"}""")) silence.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using var created = await PostAsync(op, "/api/v1/alerts/rules", CpuRule);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("""{"name":"x","condition":{"kind":"metric","metric":"cpuPercent","op":"=","threshold":1}}""", "condition.op")]
    [InlineData("""{"name":"x","condition":{"kind":"offline","forSeconds":"30"}}""", "condition.forSeconds")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"channels":["nope"]}""", "channels")]
    [InlineData("""{"name":"x\u0000y","condition":{"kind":"offline"}}""", "name")]
    [InlineData("""{"name":"x","condition":{"kind":"container","name":"a;rm -rf /"}}""", "condition.name")]
    [InlineData("""{"name":"x","condition":{"kind":"traffic","percent":"NaN"}}""", "condition.percent")]
    [InlineData("""{"name":"x","condition":{"kind":"offline"},"scope":{"tags":[1,2]}}""", "scope.tags")]
    [InlineData("""[1,2,3]""", "")]
    public async Task Hostile_rules_get_a_validation_problem_naming_the_field_and_store_nothing(string body, string field)
    {
        using var admin = await core.ClientAsync();
        var before = (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/alerts/rules")).Count;
        using var refused = await PostAsync(admin, "/api/v1/alerts/rules", body);
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(problem.ToString());
        (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/alerts/rules")).Should().HaveCount(before);
    }

    [Fact]
    public async Task Broken_json_and_bad_event_filters_are_clear_errors()
    {
        using var admin = await core.ClientAsync();
        using (var broken = await PostAsync(admin, "/api/v1/alerts/rules", "{\"name\":")) broken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        foreach (var query in new[] { "state=open", "severity=fatal", "limit=0", "limit=100000", "rule=" + new string('x', 100) })
        {
            using var bad = await admin.GetAsync("/api/v1/alerts/events?" + query);
            bad.StatusCode.Should().Be(HttpStatusCode.BadRequest, query);
        }
    }

    [Fact]
    public async Task Maintenance_windows_are_created_listed_checked_and_ended()
    {
        using var op = await core.ClientAsync("operator");
        var ends = DateTimeOffset.UtcNow.AddHours(2);
        using var created = await op.PostAsJsonAsync("/api/v1/alerts/silences", new { endsAt = ends, reason = "kernel upgrade" });
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        core.Services.GetRequiredService<AlertSilences>().Covers("any-node", "any-rule", DateTimeOffset.UtcNow).Should().BeTrue();
        (await CoreApp.GetJsonAsync<List<JsonElement>>(op, "/api/v1/alerts/silences")).Should().Contain(s => s.GetProperty("id").GetString() == id);

        foreach (var hostile in new object[]
                 {
                     new { endsAt = DateTimeOffset.UtcNow.AddHours(-1) },
                     new { endsAt = DateTimeOffset.UtcNow.AddYears(5) },
                     new { endsAt = ends, nodeId = "no-such-node" },
                     new { endsAt = ends, ruleId = "no-such-rule" },
                     new { endsAt = ends, reason = "a\r\nb" },
                 })
        {
            using var refused = await op.PostAsJsonAsync("/api/v1/alerts/silences", hostile);
            refused.StatusCode.Should().Be(HttpStatusCode.BadRequest, JsonSerializer.Serialize(hostile));
        }

        using (var ended = await op.DeleteAsync($"/api/v1/alerts/silences/{id}")) ended.StatusCode.Should().Be(HttpStatusCode.NoContent);
        core.Services.GetRequiredService<AlertSilences>().Covers("any-node", "any-rule", DateTimeOffset.UtcNow).Should().BeFalse();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body)
    {
        using var content = Json(body);
        return await client.PostAsync(path, content);
    }
}
