using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;
using Xunit;

using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Nodes;

/// <summary>
/// Every <c>/api/v1/nodes/{id}</c> route group resolves the id the same way: the real Core on a
/// loopback port, an admin token, and ids a client should never send.
/// </summary>
[Collection(CoreInProcess.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class NodeRoutesTests : IAsyncLifetime
{
    private const string KnownId = "known-node";

    /// <summary>One request per route group (and per kind of body), all of which name a Node by id.</summary>
    private static readonly (HttpMethod Method, string Path, string? Body)[] Routes =
    [
        (HttpMethod.Get, "", null),
        (HttpMethod.Patch, "", "{}"),
        (HttpMethod.Delete, "", null),
        (HttpMethod.Get, "/metrics", null),
        (HttpMethod.Get, "/system", null),
        (HttpMethod.Post, "/revoke", null),
        (HttpMethod.Get, "/capabilities", null),
        (HttpMethod.Put, "/capabilities", """{"exec":true}"""),
        (HttpMethod.Get, "/exec", null),
        (HttpMethod.Post, "/exec", """{"command":"true"}"""),
        (HttpMethod.Get, "/files?path=/", null),
        (HttpMethod.Delete, "/files?path=/tmp/x", null),
        (HttpMethod.Post, "/files/mkdir", """{"path":"/tmp/x"}"""),
        (HttpMethod.Get, "/files/content?path=/etc/hostname", null),
        (HttpMethod.Put, "/files/content?path=/tmp/x", "bytes"),
        (HttpMethod.Get, "/docker", null),
        (HttpMethod.Get, "/docker/containers", null),
        (HttpMethod.Get, "/docker/images", null),
        (HttpMethod.Post, "/docker/containers/web/restart", null),
        (HttpMethod.Delete, "/docker/containers/web", null),
        (HttpMethod.Get, "/docker/containers/web/logs", null),
    ];

    public static TheoryData<string> HostileIds => new()
    {
        "no-such-node",
        "../x",
        "..x",
        new string('a', 4000),
        "节点-ü-😀",
        " ",
        "a/b",
        "%00",
        "\u0001",
        "' OR 1=1 --",
    };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sx-routes-" + Guid.NewGuid().ToString("N"));
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = await InProcessCore.CreateAsync(_dir);
        await _app.StartAsync();
        var url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        string secret;
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            (_, secret) = await scope.ServiceProvider.GetRequiredService<TokenService>().CreateAsync("routes", Roles.Admin, null, CancellationToken.None);
            var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
            var record = new NodeRecord { Id = KnownId, Name = "web-1", MachineId = "machine-1", SecretHash = "-" };
            db.Nodes.Add(record);
            await db.SaveChangesAsync();
            _app.Services.GetRequiredService<NodeRegistry>().Add(record);
        }

        _client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [MemberData(nameof(HostileIds))]
    public async Task Every_route_group_answers_an_unknown_id_with_the_same_404(string id)
    {
        // Kestrel decodes every escape in a path except %2F, so a slash reaches the route still escaped.
        var expected = NodeFailure.UnknownNode(id.Replace("/", "%2F", StringComparison.Ordinal));
        foreach (var (method, path, body) in Routes)
        {
            using var response = await SendAsync(method, $"/api/v1/nodes/{Uri.EscapeDataString(id)}{path}", body);
            var text = await response.Content.ReadAsStringAsync();
            var what = $"{method} {path} for \"{id[..Math.Min(id.Length, 20)]}\" answered {text}";

            response.StatusCode.Should().Be(HttpStatusCode.NotFound, what);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", what);
            var problem = JsonDocument.Parse(text).RootElement;
            problem.GetProperty("title").GetString().Should().Be("Node not found", what);
            problem.GetProperty("detail").GetString().Should().Be(expected.Detail, what);
            problem.GetProperty("code").GetString().Should().Be("node-not-found", what);
            problem.GetProperty("type").GetString().Should().Be("urn:sentinelx:problem:node-not-found", what);
        }
    }

    /// <summary>Sent as written: Kestrel decodes these before routing, or refuses the request line.</summary>
    [Theory]
    [InlineData("%00")]
    [InlineData("%2F")]
    [InlineData("a%00b")]
    [InlineData("%ZZ")]
    public async Task Raw_escapes_in_the_id_are_refused_without_a_server_error(string raw)
    {
        foreach (var (method, path, body) in Routes)
        {
            using var response = await SendAsync(method, $"/api/v1/nodes/{raw}{path}", body);
            var text = await response.Content.ReadAsStringAsync();
            var what = $"{method} {raw}{path} answered {(int)response.StatusCode} {text}";
            ((int)response.StatusCode).Should().BeOneOf([400, 404, 405], what);
            // Whatever reached a node route got the node answer, never a handler's.
            if (text.Contains("\"code\"", StringComparison.Ordinal))
                JsonDocument.Parse(text).RootElement.GetProperty("code").GetString().Should().Be("node-not-found", what);
        }
    }

    /// <summary>
    /// Dot segments are removed from the path before routing, so ".." never names a Node: the request
    /// lands on another route (<c>/api/v1/nodes/../exec</c> is the batch <c>/api/v1/exec</c>) or on none.
    /// </summary>
    [Theory]
    [InlineData("..")]
    [InlineData("%2e%2e")]
    [InlineData(".")]
    public async Task Dot_segments_never_reach_a_node_route_nor_break_anything(string raw)
    {
        foreach (var (method, path, body) in Routes)
        {
            using var response = await SendAsync(method, $"/api/v1/nodes/{raw}{path}", body);
            var text = await response.Content.ReadAsStringAsync();
            ((int)response.StatusCode).Should().BeLessThan(500, $"{method} {raw}{path} answered {text}");
            text.Should().NotContain("there is no node with id .", "no node route saw the dots");
        }
    }

    [Fact]
    public async Task An_empty_id_matches_no_node_route_and_breaks_nothing()
    {
        foreach (var (method, path, body) in Routes.Where(r => r.Path.Length > 0))
        {
            using var response = await SendAsync(method, $"/api/v1/nodes/{path}", body);
            ((int)response.StatusCode).Should().BeOneOf([404, 405], $"{method} /api/v1/nodes/{path}");
        }
    }

    [Fact]
    public async Task A_known_id_reaches_the_handler_with_its_node()
    {
        var detail = JsonDocument.Parse(await _client.GetStringAsync($"/api/v1/nodes/{KnownId}")).RootElement;
        detail.GetProperty("name").GetString().Should().Be("web-1");

        // Past the resolver the feature decides: the Core's lock is closed on a new Node.
        using var exec = await SendAsync(HttpMethod.Post, $"/api/v1/nodes/{KnownId}/exec", """{"command":"true"}""");
        exec.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var problem = JsonDocument.Parse(await exec.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("code").GetString().Should().Be("capability-off");
        problem.GetProperty("lock").GetString().Should().Be("core");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "application/octet-stream");
        return await _client.SendAsync(request);
    }
}
