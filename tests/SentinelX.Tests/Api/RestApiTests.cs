using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Xunit;

using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Api;

/// <summary>The REST contract: auth by role, ProblemDetails on every error, token management, OpenAPI.</summary>
[Trait("Tier", "Api")]
[Collection(CoreInProcess.Name)]
public sealed class RestApiTests(CoreApp core) : IClassFixture<CoreApp>
{
    [Fact]
    public async Task Health_is_open_and_names_the_version()
    {
        var health = await core.Http.GetFromJsonAsync<JsonElement>("/api/v1/health");

        health.GetProperty("status").GetString().Should().Be("ok");
        health.GetProperty("version").GetString().Should().MatchRegex(@"^\d+\.\d+\.\d+");
    }

    [Fact]
    public async Task OpenApi_document_lists_the_public_endpoints()
    {
        var document = await core.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain(["/api/v1/health", "/api/v1/nodes", "/api/v1/nodes/{id}", "/api/v1/nodes/{id}/metrics", "/api/v1/summary"]);
    }

    /// <summary>One route of every group, with the least role that may call it.</summary>
    public static TheoryData<string, string, string> Routes => new()
    {
        { "GET", "/api/v1/nodes", "viewer" },
        { "GET", "/api/v1/summary", "viewer" },
        { "GET", "/api/v1/nodes/abc/metrics", "viewer" },
        { "GET", "/api/v1/nodes/abc/processes", "viewer" },
        { "GET", "/api/v1/nodes/pending", "admin" },
        { "POST", "/api/v1/nodes/pending/abc/approve", "admin" },
        { "POST", "/api/v1/nodes/abc/revoke", "admin" },
        { "PATCH", "/api/v1/nodes/abc", "operator" },
        { "DELETE", "/api/v1/nodes/abc", "admin" },
        { "GET", "/api/v1/tokens", "admin" },
        { "POST", "/api/v1/tokens", "admin" },
        { "DELETE", "/api/v1/tokens/abc", "admin" },
        { "GET", "/api/v1/audit", "operator" },
        { "GET", "/api/v1/nodes/abc/capabilities", "viewer" },
        { "PUT", "/api/v1/nodes/abc/capabilities", "admin" },
        { "POST", "/api/v1/nodes/abc/exec", "operator" },
        { "GET", "/api/v1/exec/runs/abc", "operator" },
        { "GET", "/api/v1/forwards", "viewer" },
        { "POST", "/api/v1/forwards", "operator" },
        { "PUT", "/api/v1/forwards/abc", "operator" },
        { "DELETE", "/api/v1/forwards/abc", "operator" },
        { "GET", "/api/v1/nodes/abc/files", "operator" },
        { "PUT", "/api/v1/nodes/abc/files/content", "operator" },
        { "GET", "/api/v1/nodes/abc/docker", "operator" },
        { "POST", "/api/v1/nodes/abc/docker/containers/c1/restart", "operator" },
        { "GET", "/metrics", "viewer" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_route_group_answers_401_without_a_token_and_403_below_its_role_as_problem_details(string method, string path, string least)
    {
        string[] ranks = ["viewer", "operator", "admin"];

        using (var request = Request(method, path))
        using (var anonymous = await core.Http.SendAsync(request))
            await ShouldBeProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        foreach (var role in ranks)
        {
            using var client = await core.ClientAsync(role);
            using var request = Request(method, path);
            using var response = await client.SendAsync(request);
            if (Array.IndexOf(ranks, role) < Array.IndexOf(ranks, least))
                await ShouldBeProblemAsync(response, HttpStatusCode.Forbidden);
            else
                response.StatusCode.Should().NotBe(HttpStatusCode.Unauthorized).And.NotBe(HttpStatusCode.Forbidden, $"{role} may {method} {path}");
        }
    }

    [Theory]
    [InlineData("sxt_notarealtoken")]
    [InlineData("sxt_")]
    [InlineData("notatoken")]
    [InlineData("sxt_' OR '1'='1")]
    public async Task A_bad_token_is_refused(string bearer)
    {
        using var client = core.Client(bearer);

        using var response = await client.GetAsync("/api/v1/nodes");

        await ShouldBeProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_overlong_token_or_a_node_secret_or_the_enrollment_key_is_no_api_token()
    {
        var nodeSecret = (await core.EnrollAsync("secret-holder")).Secret;

        foreach (var bearer in new[] { "sxt_" + new string('a', 1_000), nodeSecret, core.EnrollmentKey })
        {
            using var client = core.Client(bearer);
            using var response = await client.GetAsync("/api/v1/summary");
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, bearer[..Math.Min(12, bearer.Length)]);
        }
    }

    [Fact]
    public async Task Viewers_read_but_only_admins_manage_tokens()
    {
        using var viewer = await core.ClientAsync("viewer");
        using var op = await core.ClientAsync("operator");
        using var admin = await core.ClientAsync("admin");

        (await viewer.GetAsync("/api/v1/nodes")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await viewer.GetAsync("/api/v1/tokens")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await CoreApp.PostJsonAsync(viewer, "/api/v1/tokens", new { name = "x", role = "admin" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await CoreApp.PostJsonAsync(op, "/api/v1/tokens", new { name = "x", role = "viewer" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var created = await CoreApp.PostJsonAsync(admin, "/api/v1/tokens", new { name = "ci", role = "viewer" });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        var id = body.GetProperty("token").GetProperty("id").GetString()!;

        using var fresh = core.Client(secret);
        (await fresh.GetAsync("/api/v1/summary")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await fresh.GetAsync("/api/v1/audit")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "the new token has the role it was created with");

        var list = await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/tokens");
        list.Should().Contain(t => t.GetProperty("id").GetString() == id);
        list.Select(t => t.GetRawText()).Should().OnlyContain(t => !t.Contains("\"secret\"") && !t.Contains("tokenHash"), "secrets are shown once and hashes never");

        (await admin.DeleteAsync($"/api/v1/tokens/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await fresh.GetAsync("/api/v1/summary")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a revoked token stops working at once");
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_that_say_what_is_wrong()
    {
        using var admin = await core.ClientAsync("admin");

        using var unknownNode = await admin.GetAsync("/api/v1/nodes/nosuchnode");
        using var badRole = await CoreApp.PostJsonAsync(admin, "/api/v1/tokens", new { name = "x", role = "root" });
        using var notJsonContent = new StringContent("{not json", Encoding.UTF8, "application/json");
        using var notJson = await admin.PostAsync("/api/v1/tokens", notJsonContent);

        unknownNode.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknownNode.Content.ReadAsStringAsync()).Should().Contain("nosuchnode");
        badRole.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badRole.Content.ReadAsStringAsync()).Should().Contain("admin, operator, viewer");
        notJson.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        notJson.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await notJson.Content.ReadAsStringAsync()).Should().NotContain("   at ", "no stack traces");
    }

    [Theory]
    [InlineData("""{"name":"x","role":"Admin"}""")]
    [InlineData("""{"name":"x","role":"admin "}""")]
    [InlineData("""{"name":"x","role":null}""")]
    [InlineData("""{"name":"x","role":["admin"]}""")]
    [InlineData("""{"name":"","role":"viewer"}""")]
    [InlineData("""{"name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","role":"viewer"}""")]
    [InlineData("""{"name":"x","role":"viewer","expiresAt":"2001-01-01T00:00:00Z"}""")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task A_hostile_token_request_is_refused_and_creates_nothing(string body)
    {
        using var admin = await core.ClientAsync("admin");
        var before = (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/tokens")).Count;

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await admin.PostAsync("/api/v1/tokens", content);

        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest);
        (await CoreApp.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/tokens")).Should().HaveCount(before);
    }

    [Fact]
    public async Task Metric_queries_validate_their_range()
    {
        using var admin = await core.ClientAsync("admin");
        var id = (await core.EnrollAsync("ranged")).NodeId;

        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?from=yesterday")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?step=0")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?step=-5m")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?step=99999999999999999999s")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?step=5m")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private static HttpRequestMessage Request(string method, string path) => new(new HttpMethod(method), path)
    {
        Content = method is "GET" or "DELETE" ? null : new StringContent("{}", Encoding.UTF8, "application/json"),
    };

    private static async Task ShouldBeProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32().Should().Be((int)status);
    }
}
