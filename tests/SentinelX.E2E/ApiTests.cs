using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>The REST contract: auth by role, ProblemDetails on every error, OpenAPI, the CLI's output rules.</summary>
public sealed class ApiTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();

    public Task InitializeAsync() => _core.StartAsync();

    public Task DisposeAsync() => _core.DisposeAsync().AsTask();

    [Fact]
    public async Task Health_is_open_and_names_the_version()
    {
        var health = await _core.Http.GetFromJsonAsync<JsonElement>("/api/v1/health");

        health.GetProperty("status").GetString().Should().Be("ok");
        health.GetProperty("version").GetString().Should().MatchRegex(@"^\d+\.\d+\.\d+");
    }

    [Theory]
    [InlineData("/api/v1/nodes")]
    [InlineData("/api/v1/summary")]
    [InlineData("/api/v1/tokens")]
    [InlineData("/api/v1/nodes/abc/metrics")]
    [InlineData("/metrics")]
    public async Task Reads_without_a_token_get_401_problem_details(string path)
    {
        using var response = await _core.Http.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task A_bad_token_is_refused()
    {
        using var client = new HttpClient { BaseAddress = new Uri(_core.Url) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", "sxt_notarealtoken");

        using var response = await client.GetAsync("/api/v1/nodes");

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Viewers_read_but_only_admins_manage_tokens()
    {
        using var viewer = await _core.ClientAsync("viewer");
        using var op = await _core.ClientAsync("operator");
        using var admin = await _core.ClientAsync("admin");

        (await viewer.GetAsync("/api/v1/nodes")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await viewer.GetAsync("/api/v1/tokens")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await CoreInstance.PostJsonAsync(viewer, "/api/v1/tokens", new { name = "x", role = "admin" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await CoreInstance.PostJsonAsync(op, "/api/v1/tokens", new { name = "x", role = "viewer" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var created = await CoreInstance.PostJsonAsync(admin, "/api/v1/tokens", new { name = "ci", role = "viewer" });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        var id = body.GetProperty("token").GetProperty("id").GetString()!;

        using var fresh = new HttpClient { BaseAddress = new Uri(_core.Url) };
        fresh.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        (await fresh.GetAsync("/api/v1/summary")).StatusCode.Should().Be(HttpStatusCode.OK);

        var list = await CoreInstance.GetJsonAsync<List<JsonElement>>(admin, "/api/v1/tokens");
        list.Should().Contain(t => t.GetProperty("id").GetString() == id);
        list.Select(t => t.GetRawText()).Should().OnlyContain(t => !t.Contains("\"secret\"") && !t.Contains("tokenHash"), "secrets are shown once and hashes never");

        (await admin.DeleteAsync($"/api/v1/tokens/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await fresh.GetAsync("/api/v1/summary")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a revoked token stops working at once");
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_that_say_what_is_wrong()
    {
        using var admin = await _core.ClientAsync("admin");

        using var unknownNode = await admin.GetAsync("/api/v1/nodes/nosuchnode");
        using var badRole = await CoreInstance.PostJsonAsync(admin, "/api/v1/tokens", new { name = "x", role = "root" });
        using var notJson = await admin.PostAsync("/api/v1/tokens", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        unknownNode.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknownNode.Content.ReadAsStringAsync()).Should().Contain("nosuchnode");
        badRole.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badRole.Content.ReadAsStringAsync()).Should().Contain("admin, operator, viewer");
        notJson.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        notJson.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await notJson.Content.ReadAsStringAsync()).Should().NotContain("   at ", "no stack traces");
    }

    [Fact]
    public async Task Metric_queries_validate_their_range()
    {
        using var admin = await _core.ClientAsync("admin");
        await using var node = _core.NewNode("ranged");
        await node.StartAsync();
        string? id = null;
        await Eventually.WaitAsync(async () =>
        {
            id = (await CoreInstance.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes")).FirstOrDefault()?.Id;
            return id is not null;
        }, TimeSpan.FromSeconds(20), "node enrolled", () => node.Output);

        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?from=yesterday")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?step=0")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync($"/api/v1/nodes/{id}/metrics?step=5m")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task OpenApi_document_lists_the_public_endpoints()
    {
        var document = await _core.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain(["/api/v1/health", "/api/v1/nodes", "/api/v1/nodes/{id}", "/api/v1/nodes/{id}/metrics", "/api/v1/summary"]);
    }

    [Fact]
    public async Task Cli_prints_only_secrets_on_stdout()
    {
        var (code, stdout, stderr) = await _core.CliAsync("token", "create", "--name", "script", "--role", "viewer");
        var (badCode, badOut, badErr) = await _core.CliAsync("token", "create", "--name", "script", "--role", "superuser");

        code.Should().Be(0);
        stdout.Trim().Should().MatchRegex("^sxt_[a-z2-7]+$");
        stderr.Should().Contain("shown only this once");
        badCode.Should().NotBe(0);
        badOut.Should().BeEmpty();
        badErr.Should().Contain("superuser");
    }
}
