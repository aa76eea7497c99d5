using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Probes;
using SentinelX.App.Features.StatusPages;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Api;
using SentinelX.Tests.Hosting;
using Xunit;

namespace SentinelX.Tests.StatusPages;

/// <summary>
/// The status page contract against a real Core: admins define pages and incidents through the API;
/// anyone reads <c>/status</c>, which shows names and states only, from a cache that spares the database.
/// </summary>
[Trait("Tier", "Api")]
[Collection(CoreInProcess.Name)]
public sealed class StatusPagesApiTests(CoreApp core) : IClassFixture<CoreApp>
{
    private sealed record PageBody(string Slug, string Title, List<string> NodeIds, List<string> ProbeIds, bool Public, string Path, List<IncidentBody>? Incidents);

    private sealed record IncidentBody(string Id, string Title, string Body, string State, DateTimeOffset CreatedAt, DateTimeOffset? ResolvedAt);

    private StatusPageCache Cache => core.Services.GetRequiredService<StatusPageCache>();

    [Fact]
    public async Task Put_creates_then_replaces_a_page_and_the_api_lists_reads_and_deletes_it()
    {
        using var admin = await core.ClientAsync();
        var node = await core.EnrollAsync("contract-node");

        using var created = await admin.PutAsJsonAsync("/api/v1/status-pages/contract", new { title = "Contract", nodeIds = new[] { node.NodeId }, probeIds = Array.Empty<string>(), @public = true });
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        created.Headers.Location!.ToString().Should().Be("/api/v1/status-pages/contract");
        using var replaced = await admin.PutAsJsonAsync("/api/v1/status-pages/contract", new { title = "Contract 2", nodeIds = Array.Empty<string>(), @public = false });
        replaced.StatusCode.Should().Be(HttpStatusCode.OK);

        var page = await CoreApp.GetJsonAsync<PageBody>(admin, "/api/v1/status-pages/contract");
        page.Should().BeEquivalentTo(new PageBody("contract", "Contract 2", [], [], false, "/status/contract", []));
        (await CoreApp.GetJsonAsync<List<PageBody>>(admin, "/api/v1/status-pages")).Should().Contain(p => p.Slug == "contract" && p.Incidents == null);
        var audit = await CoreApp.GetJsonAsync<List<AuditEntryView>>(admin, "/api/v1/audit?action=status-page.update");
        audit.Where(e => e.Target == "contract").Select(e => e.Detail).Should().HaveCount(2).And.Contain(d => d.StartsWith("created: public, nodes [" + node.NodeId, StringComparison.Ordinal));

        (await admin.DeleteAsync("/api/v1/status-pages/contract")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await ShouldBeProblemAsync(await admin.GetAsync("/api/v1/status-pages/contract"), HttpStatusCode.NotFound);
        await ShouldBeProblemAsync(await admin.DeleteAsync("/api/v1/status-pages/contract"), HttpStatusCode.NotFound);
        (await CoreApp.GetJsonAsync<List<AuditEntryView>>(admin, "/api/v1/audit?action=status-page.delete")).Should().Contain(e => e.Target == "contract");
    }

    [Fact]
    public async Task Only_admins_use_the_api_and_anyone_reads_the_page()
    {
        using var admin = await core.ClientAsync();
        await PutAsync(admin, "roles", new { title = "Roles" });

        foreach (var role in new[] { "viewer", "operator" })
        {
            using var client = await core.ClientAsync(role);
            await ShouldBeProblemAsync(await client.PutAsJsonAsync("/api/v1/status-pages/roles", new { title = "Mine now" }), HttpStatusCode.Forbidden);
            await ShouldBeProblemAsync(await client.GetAsync("/api/v1/status-pages"), HttpStatusCode.Forbidden);
            await ShouldBeProblemAsync(await client.PostAsJsonAsync("/api/v1/status-pages/roles/incidents", new { title = "x", state = "investigating" }), HttpStatusCode.Forbidden);
        }

        await ShouldBeProblemAsync(await core.Http.GetAsync("/api/v1/status-pages/roles"), HttpStatusCode.Unauthorized);
        await ShouldBeProblemAsync(await core.Http.DeleteAsync("/api/v1/status-pages/roles"), HttpStatusCode.Unauthorized);
        using var page = await core.Http.GetAsync("/status/roles");
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).Should().Contain("<h1 data-testid=\"status-title\">Roles</h1>");
        (await CoreApp.GetJsonAsync<PageBody>(admin, "/api/v1/status-pages/roles")).Title.Should().Be("Roles");
    }

    public static TheoryData<string, string, string> HostilePages => new()
    {
        { "..%2F..%2Fetc", """{"title":"x"}""", "slug" },
        { "UPPER", """{"title":"x"}""", "slug" },
        { new string('a', 41), """{"title":"x"}""", "slug" },
        { "cr%0D%0Alf", """{"title":"x"}""", "slug" },
        { "ok", """{"title":"line\r\nbreak"}""", "title" },
        { "ok", "{\"title\":\"" + new string('t', 10_000) + "\"}", "title" },
        { "ok", """{"title":"  "}""", "title" },
        { "ok", """{"title":5}""", "title" },
        { "ok", """{"title":"x","nodeIds":"abc"}""", "nodeIds" },
        { "ok", """{"title":"x","nodeIds":[1,2]}""", "nodeIds" },
        { "ok", """{"title":"x","nodeIds":["no-such-node"]}""", "nodeIds" },
        { "ok", """{"title":"x","probeIds":["no-such-probe"]}""", "probeIds" },
        { "ok", """{"title":"x","probeIds":["a,b"]}""", "probeIds" },
        { "ok", """{"title":"x","public":"yes"}""", "public" },
        { "ok", """[1,2,3]""", "" },
    };

    [Theory]
    [MemberData(nameof(HostilePages))]
    public async Task A_hostile_page_is_refused_with_the_field_named_and_nothing_is_stored(string slug, string json, string field)
    {
        using var admin = await core.ClientAsync();

        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await admin.PutAsync($"/api/v1/status-pages/{slug}", content);

        var problem = await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(problem.ToString());
        (await CoreApp.GetJsonAsync<List<PageBody>>(admin, "/api/v1/status-pages")).Should().NotContain(p => p.Slug == "ok" || p.Slug.Contains('.'));
    }

    [Fact]
    public async Task Hostile_incidents_are_refused_and_an_unknown_page_has_none()
    {
        using var admin = await core.ClientAsync();
        await PutAsync(admin, "hostile-incidents", new { title = "Incidents" });

        foreach (var (json, field) in new[]
        {
            ("""{"title":"x","state":"on-fire"}""", "state"),
            ("""{"title":"two\nlines","state":"investigating"}""", "title"),
            ("{\"title\":\"x\",\"state\":\"identified\",\"body\":\"" + new string('b', 5001) + "\"}", "body"),
            ("""{"title":"x","state":"identified","body":"bell\u0007"}""", "body"),
            ("""{"title":"x","state":7}""", "state"),
        })
        {
            using var content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await admin.PostAsync("/api/v1/status-pages/hostile-incidents/incidents", content);
            var problem = await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest);
            problem.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(json);
        }

        (await CoreApp.GetJsonAsync<PageBody>(admin, "/api/v1/status-pages/hostile-incidents")).Incidents.Should().BeEmpty();
        await ShouldBeProblemAsync(await admin.PostAsJsonAsync("/api/v1/status-pages/no-such-page/incidents", new { title = "x", state = "investigating" }), HttpStatusCode.NotFound);
        await ShouldBeProblemAsync(await admin.PutAsJsonAsync("/api/v1/status-pages/hostile-incidents/incidents/nope", new { title = "x", state = "resolved" }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Incidents_move_through_their_states_and_the_page_shows_open_ones_first()
    {
        using var admin = await core.ClientAsync();
        await PutAsync(admin, "incidents", new { title = "Incidents" });

        var first = await PostIncidentAsync(admin, "incidents", new { title = "Database failover", body = "Line one\r\nline two", state = "investigating" });
        var resolved = await PutIncidentAsync(admin, "incidents", first.Id, new { title = "Database failover", body = "Done", state = "resolved" });
        var second = await PostIncidentAsync(admin, "incidents", new { title = "Slow API", state = "monitoring" });

        first.Body.Should().Be("Line one\nline two");
        first.ResolvedAt.Should().BeNull();
        resolved.ResolvedAt.Should().NotBeNull();
        var reopened = await PutIncidentAsync(admin, "incidents", first.Id, new { title = "Database failover", body = "Again", state = "identified" });
        reopened.ResolvedAt.Should().BeNull();
        await PutIncidentAsync(admin, "incidents", first.Id, new { title = "Database failover", body = "Fixed", state = "resolved" });

        var html = await PageAsync("/status/incidents");
        html.IndexOf("Slow API", StringComparison.Ordinal).Should().BeLessThan(html.IndexOf("Database failover", StringComparison.Ordinal), "open incidents come first");
        html.Should().Contain("data-state=\"resolved\"").And.Contain("Fixed");

        (await admin.DeleteAsync($"/api/v1/status-pages/incidents/incidents/{second.Id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await CoreApp.GetJsonAsync<PageBody>(admin, "/api/v1/status-pages/incidents")).Incidents!.Select(i => i.Id).Should().Equal(first.Id);
        (await PageAsync("/status/incidents")).Should().NotContain("Slow API", "a change drops the cached page");
        var audit = await CoreApp.GetJsonAsync<List<AuditEntryView>>(admin, "/api/v1/audit?action=status-page.incident");
        audit.Count(e => e.Target == "incidents").Should().Be(6);
    }

    [Fact]
    public async Task A_private_unknown_or_malformed_slug_is_the_same_404_page()
    {
        using var admin = await core.ClientAsync();
        await PutAsync(admin, "hidden", new { title = "Hidden page", @public = false });

        foreach (var path in new[] { "/status/hidden", "/status/never-made", "/status/..%2F..%2Fetc%2Fpasswd", "/status/UPPER", "/status/" + new string('a', 41) })
        {
            using var response = await core.Http.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, path);
            var html = await response.Content.ReadAsStringAsync();
            html.Should().Contain("data-testid=\"status-not-found\"", path).And.NotContain("Hidden page");
            response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        }
    }

    [Fact]
    public async Task The_page_is_built_once_per_30_seconds_and_again_after_a_change()
    {
        using var admin = await core.ClientAsync();
        await PutAsync(admin, "cached", new { title = "Cached" });

        using var first = await core.Http.GetAsync("/status/cached");
        var builds = Cache.Builds;
        // Behind the service's back: a cached page does not read the database, so it cannot see this.
        await using (var scope = core.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
            db.StatusIncidents.Add(new StatusIncidentRecord { Id = "behind-the-back", Slug = "cached", Title = "Written to the database directly", State = "investigating", CreatedAt = 1, UpdatedAt = 1 });
            await db.SaveChangesAsync();
        }

        using var second = await core.Http.GetAsync("/status/cached");

        Cache.Builds.Should().Be(builds, "the second request within 30 s is served from memory");
        (await second.Content.ReadAsStringAsync()).Should().Be(await first.Content.ReadAsStringAsync()).And.NotContain("Written to the database directly");
        second.Headers.CacheControl!.ToString().Should().Be("public, max-age=30");
        second.Headers.Vary.Should().Contain("Accept-Language").And.Contain("Accept-Encoding");
        foreach (var (coding, decompress) in new (string, Func<Stream, Stream>)[]
                 { ("br", s => new BrotliStream(s, CompressionMode.Decompress)), ("gzip", s => new GZipStream(s, CompressionMode.Decompress)) })
        {
            using var compressed = new HttpRequestMessage(HttpMethod.Get, "/status/cached");
            compressed.Headers.AcceptEncoding.ParseAdd(coding);
            using var answer = await core.Http.SendAsync(compressed);
            answer.Content.Headers.ContentEncoding.Should().Equal(coding);
            using var plain = new StreamReader(decompress(await answer.Content.ReadAsStreamAsync()));
            (await plain.ReadToEndAsync()).Should().Be(await second.Content.ReadAsStringAsync(), "the page is compressed once, when it is built");
        }

        second.Headers.ETag.Should().NotBeNull();
        using (var conditional = new HttpRequestMessage(HttpMethod.Get, "/status/cached"))
        {
            conditional.Headers.IfNoneMatch.Add(second.Headers.ETag!);
            (await core.Http.SendAsync(conditional)).StatusCode.Should().Be(HttpStatusCode.NotModified);
        }

        await PutAsync(admin, "cached", new { title = "Cached, renamed" });
        var changed = await PageAsync("/status/cached");
        changed.Should().Contain("Cached, renamed").And.Contain("Written to the database directly", "the change dropped the cached page");
        Cache.Builds.Should().Be(builds + 1);
    }

    [Fact]
    public async Task The_page_never_shows_addresses_hostnames_probe_targets_tags_or_notes()
    {
        using var admin = await core.ClientAsync();
        var enrolled = await core.EnrollAsync("leak-host-a7");
        using var ws = await HelloAsync(enrolled, """
            {"hostname":"db7.internal.example","os":"Debian GNU/Linux 12 (secret-os)","kernel":"6.1.0-secret-kernel","arch":"amd64",
             "cpuModel":"Secret CPU 9000","publicIps":["203.0.113.57","2001:db8::57"],
             "interfaces":[{"name":"eth-secret0","mac":"02:42:ac:11:00:99","addresses":["10.1.2.3/24","fd00::1234/64"]}],
             "disks":[{"mount":"/srv/secret-mount","device":"/dev/secret-disk","fsType":"ext4","totalBytes":1}]}
            """);
        using (var patch = await admin.PatchAsJsonAsync($"/api/v1/nodes/{enrolled.NodeId}",
                   new { name = "Public API", tags = "secret-tag", groupName = "secret-group", notes = "secret notes", region = "DE" }))
            patch.StatusCode.Should().Be(HttpStatusCode.OK);
        await using (var scope = core.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
            db.Probes.Add(new ProbeRecord
            {
                Id = "leak-probe", Name = "Checkout", Type = "http", Target = "http://10.9.8.7:8080/internal-health",
                Keyword = "secret-keyword", DnsServer = "10.53.53.53", NodeIds = enrolled.NodeId, Tags = "secret-probe-tag",
            });
            await db.SaveChangesAsync();
        }

        var node = core.Services.GetRequiredService<NodeRegistry>().Find(enrolled.NodeId)!;
        node.Online.Should().BeTrue();
        await PutAsync(admin, "leak", new { title = "Leak check", nodeIds = new List<string> { enrolled.NodeId }, probeIds = new List<string> { "leak-probe" } });

        foreach (var language in new[] { "en", "zh-CN" })
        {
            var html = await PageAsync("/status/leak?lang=" + language);
            html.Should().Contain("Public API").And.Contain("Checkout").And.Contain("data-state=\"up\"");
            string[] secrets =
            [
                "leak-host-a7", "db7.internal", "203.0.113.57", "2001:db8::57", "10.1.2.3", "fd00::1234", "02:42:ac:11:00:99", "eth-secret0",
                node.RemoteAddress ?? "127.0.0.1", "127.0.0.1", enrolled.NodeId, node.MachineId, "secret", "10.9.8.7", "internal-health", "10.53.53.53",
                "Debian", "6.1.0", "amd64", "Secret CPU", "leak-probe",
            ];
            foreach (var secret in secrets)
                html.Should().NotContainEquivalentOf(secret, $"the {language} page must not show {secret}");
        }
    }

    [Fact]
    public async Task The_language_comes_from_the_query_then_accept_language()
    {
        using var admin = await core.ClientAsync();
        await PutAsync(admin, "default", new { title = "Everything" });

        using var chinese = new HttpRequestMessage(HttpMethod.Get, "/status");
        chinese.Headers.AcceptLanguage.ParseAdd("zh-CN,zh;q=0.9,en;q=0.8");
        var zh = await (await core.Http.SendAsync(chinese)).Content.ReadAsStringAsync();
        using var overridden = new HttpRequestMessage(HttpMethod.Get, "/status?lang=en");
        overridden.Headers.AcceptLanguage.ParseAdd("zh-CN");
        var en = await (await core.Http.SendAsync(overridden)).Content.ReadAsStringAsync();

        zh.Should().Contain("<html lang=\"zh-CN\">").And.Contain("暂无可显示的状态").And.Contain("<h1 data-testid=\"status-title\">Everything</h1>");
        en.Should().Contain("<html lang=\"en\">").And.Contain("No status to show yet");
        (await PageAsync("/status?lang=zh-CN")).Should().Contain("<html lang=\"zh-CN\">");
    }

    private static async Task PutAsync(HttpClient admin, string slug, object body)
    {
        using var response = await admin.PutAsJsonAsync($"/api/v1/status-pages/{slug}", body);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"PUT {slug}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<IncidentBody> PostIncidentAsync(HttpClient admin, string slug, object body)
    {
        using var response = await admin.PostAsJsonAsync($"/api/v1/status-pages/{slug}/incidents", body);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<IncidentBody>(CoreApp.Json))!;
    }

    private static async Task<IncidentBody> PutIncidentAsync(HttpClient admin, string slug, string id, object body)
    {
        using var response = await admin.PutAsJsonAsync($"/api/v1/status-pages/{slug}/incidents/{id}", body);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<IncidentBody>(CoreApp.Json))!;
    }

    /// <summary>
    /// The page as a signed-out browser gets it (asking for HTML, before any UI user exists, so the
    /// first-run redirect would catch it); fails unless it is served.
    /// </summary>
    private async Task<string> PageAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
        using var response = await core.Http.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, html);
        return html;
    }

    private static async Task<JsonElement> ShouldBeProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(status, body);
            response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", body);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    /// <summary>Connects as the enrolled Node and says hello with <paramref name="systemJson"/>, as a Node reporting its facts would.</summary>
    private async Task<ClientWebSocket> HelloAsync(EnrollResponse node, string systemJson)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader(ProtocolInfo.NodeIdHeader, node.NodeId);
        ws.Options.SetRequestHeader("Authorization", "Bearer " + node.Secret);
        ws.Options.SetRequestHeader(ProtocolInfo.ProtocolHeader, ProtocolInfo.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{core.Port}{ProtocolInfo.WebSocketPath}"), CancellationToken.None);
        var hello = $$$"""{"jsonrpc":"2.0","id":1,"method":"node.hello","params":{"protocolVersion":{{{ProtocolInfo.Version}}},"agentVersion":"t","sampleIntervalMs":1000,"system":{{{systemJson}}}}}""";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.SendAsync(Encoding.UTF8.GetBytes(hello), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[64 * 1024];
        var received = await ws.ReceiveAsync(buffer, cts.Token);
        Encoding.UTF8.GetString(buffer, 0, received.Count).Should().Contain("\"result\"");
        return ws;
    }
}
