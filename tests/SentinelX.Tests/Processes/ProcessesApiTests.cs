using System.Net;
using System.Text.Json;
using FluentAssertions;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Api;
using SentinelX.Tests.Hosting;
using Xunit;

namespace SentinelX.Tests.Processes;

/// <summary><c>GET /api/v1/nodes/{id}/processes</c> against the Core in process and a real Node agent that allows nothing.</summary>
[Trait("Tier", "Api")]
[Collection(CoreInProcess.Name)]
public sealed class ProcessesApiTests(CoreApp core) : IClassFixture<CoreApp>, IAsyncLifetime
{
    private HttpClient _admin = null!;

    public async Task InitializeAsync() => _admin = await core.ClientAsync();

    public Task DisposeAsync()
    {
        _admin.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_role_reads_the_live_list_in_the_documented_shape()
    {
        await using var node = await TestNode.StartOnlineAsync(core, _admin, "procs", []);
        using var viewer = await core.ClientAsync("viewer");

        var list = await GetAsync(viewer, $"/api/v1/nodes/{node.Id}/processes");

        list.GetArrayLength().Should().BeInRange(1, ProcessNames.DefaultTop);
        foreach (var process in list.EnumerateArray())
        {
            process.EnumerateObject().Select(p => p.Name).Should().Equal("pid", "name", "user", "cpuPercent", "memBytes", "command");
            process.GetProperty("pid").GetInt32().Should().BePositive();
            process.GetProperty("command").GetString().Should().NotBeNullOrEmpty();
        }
        list.EnumerateArray().Select(p => p.GetProperty("cpuPercent").GetDouble()).Should().BeInDescendingOrder();

        // The agent runs inside this test process, so the list it reads has this process in it.
        var byMemory = await GetAsync(_admin, $"/api/v1/nodes/{node.Id}/processes?top=200&sort=memory");
        var memory = byMemory.EnumerateArray().Select(p => p.GetProperty("memBytes").GetInt64()).ToList();
        memory.Should().BeInDescendingOrder();
        byMemory.EnumerateArray().Should().Contain(p => p.GetProperty("pid").GetInt32() == Environment.ProcessId);

        using var operatorClient = await core.ClientAsync("operator");
        (await GetAsync(operatorClient, $"/api/v1/nodes/{node.Id}/processes?top=1&sort=cpu")).GetArrayLength().Should().Be(1);

        using var anonymous = await core.Http.GetAsync($"/api/v1/nodes/{node.Id}/processes");
        await ProblemAsync(anonymous, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("top=0", "top")]
    [InlineData("top=201", "top")]
    [InlineData("top=-1", "top")]
    [InlineData("top=abc", "top")]
    [InlineData("top=", "top")]
    [InlineData("top=1e3", "top")]
    [InlineData("top=99999999999999999999", "top")]
    [InlineData("top=%0D%0A20", "top")]
    [InlineData("sort=name", "sort")]
    [InlineData("sort=CPU", "sort")]
    [InlineData("sort=", "sort")]
    [InlineData("sort=cpu%0D%0ASet-Cookie:x", "sort")]
    [InlineData("top=20&sort=../../etc/passwd", "sort")]
    public async Task A_bad_top_or_sort_is_a_400_naming_the_field(string query, string field)
    {
        // Checked before anything is sent: the Node need not even be connected.
        var id = (await core.EnrollAsync("bad-query")).NodeId;

        using var response = await _admin.GetAsync($"/api/v1/nodes/{id}/processes?{query}");

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        problem.GetProperty("code").GetString().Should().Be("bad-request");
        problem.GetProperty("errors").GetProperty(field).EnumerateArray().Should().ContainSingle();
    }

    [Fact]
    public async Task An_offline_Node_is_the_503_every_Node_request_gives_and_an_unknown_one_a_404()
    {
        var id = (await core.EnrollAsync("never-connected")).NodeId;

        using (var offline = await _admin.GetAsync($"/api/v1/nodes/{id}/processes"))
        {
            var problem = await ProblemAsync(offline, HttpStatusCode.ServiceUnavailable);
            problem.GetProperty("code").GetString().Should().Be("node-offline");
            problem.GetProperty("detail").GetString().Should().Contain(id);
        }

        using var unknown = await _admin.GetAsync("/api/v1/nodes/no-such-node/processes");
        (await ProblemAsync(unknown, HttpStatusCode.NotFound)).GetProperty("code").GetString().Should().Be("node-not-found");
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        problem.GetProperty("status").GetInt32().Should().Be((int)status);
        return problem;
    }
}
