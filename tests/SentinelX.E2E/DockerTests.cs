using System.Net;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.E2E;

/// <summary>One Core, one real dockerd and a Node with docker turned on, shared by the Docker API tests.</summary>
public sealed class DockerEnvironment : IAsyncLifetime
{
    public CoreInstance Core { get; } = new();
    public DockerDaemon Docker { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public NodeInstance Node { get; private set; } = null!;
    public string NodeId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Docker = await DockerDaemon.StartAsync();
        await Core.StartAsync();
        Admin = await Core.ClientAsync();
        Node = Core.NewNode("docker-host");
        Node.ExtraArgs.AddRange(["--docker-socket", Docker.SocketPath]);
        NodeId = await Core.StartOnlineNodeAsync(Node, Admin, "docker");
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (Node is not null) await Node.DisposeAsync();
        await Core.DisposeAsync();
        if (Docker is not null) await Docker.DisposeAsync();
    }
}

/// <summary>Docker through the API against a real dockerd: list, actions, logs, images, the locks and the audit log.</summary>
public sealed class DockerTests(DockerEnvironment env) : IClassFixture<DockerEnvironment>
{
    private string Base => $"/api/v1/nodes/{env.NodeId}/docker";

    [Fact]
    public async Task Info_reports_the_engine_and_images_list_the_imported_one()
    {
        var info = await CoreInstance.GetJsonAsync<DockerInfo>(env.Admin, Base);
        info.Available.Should().BeTrue();
        info.Version.Should().StartWith("20.10");
        info.Socket.Should().Be(env.Docker.SocketPath);

        var images = await CoreInstance.GetJsonAsync<DockerImageList>(env.Admin, Base + "/images");
        var image = images.Images.Should().ContainSingle(i => i.Tags.Contains(DockerDaemon.Image)).Subject;
        image.Id.Should().StartWith("sha256:");
        image.Size.Should().BeGreaterThan(500_000, "the image holds busybox");
    }

    [Fact]
    public async Task A_container_is_listed_with_usage_then_stopped_started_restarted_and_removed()
    {
        await env.Docker.RunTickerAsync("ticker-actions");

        // Usage is a delta between two polls: the second listing has CPU and memory.
        var listed = await Eventually.ValueAsync(async () =>
        {
            var list = await CoreInstance.GetJsonAsync<DockerContainerList>(env.Admin, Base + "/containers");
            return list.Containers.FirstOrDefault(c => c.Name == "ticker-actions" && c.CpuPercent is not null);
        }, TimeSpan.FromSeconds(20), "ticker listed with CPU");
        listed.State.Should().Be("running");
        listed.Image.Should().Be(DockerDaemon.Image);
        listed.Status.Should().StartWith("Up");
        listed.MemBytes.Should().BeGreaterThan(0);
        listed.StartedAt!.Value.Should().BeCloseTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 120_000UL);

        (await ActAsync("ticker-actions", "stop")).State.Should().Be("exited");
        (await env.Docker.StateAsync("ticker-actions")).Should().Be("exited");
        var stopped = (await CoreInstance.GetJsonAsync<DockerContainerList>(env.Admin, Base + "/containers")).Containers.Single(c => c.Name == "ticker-actions");
        stopped.State.Should().Be("exited");
        stopped.CpuPercent.Should().BeNull();

        (await ActAsync("ticker-actions", "start")).State.Should().Be("running");
        (await env.Docker.StateAsync("ticker-actions")).Should().Be("running");

        var before = await StartedAtAsync("ticker-actions");
        (await ActAsync("ticker-actions", "restart")).State.Should().Be("running");
        (await StartedAtAsync("ticker-actions")).Should().BeGreaterThan(before);

        using (var running = await env.Admin.DeleteAsync(Base + "/containers/ticker-actions"))
        {
            running.StatusCode.Should().Be(HttpStatusCode.Conflict, "a running container needs force");
            (await Problem(running)).GetProperty("detail").GetString().Should().Contain("running");
        }

        using (var removed = await env.Admin.DeleteAsync(Base + "/containers/ticker-actions?force=true"))
        {
            removed.StatusCode.Should().Be(HttpStatusCode.OK);
            JsonDocument.Parse(await removed.Content.ReadAsStringAsync()).RootElement.GetProperty("state").GetString().Should().Be("removed");
        }

        (await env.Docker.StateAsync("ticker-actions")).Should().BeNull();

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(env.Admin, $"/api/v1/audit?node={env.NodeId}&action=docker.");
        audit.Where(e => e.Target == "ticker-actions").Select(e => (e.Action, e.Result)).Reverse().Should().Equal(
            ("docker.stop", "ok"), ("docker.start", "ok"), ("docker.restart", "ok"), ("docker.remove", "failed"), ("docker.remove", "ok"));
        audit.Should().OnlyContain(e => e.Actor == "test-admin");
    }

    [Fact]
    public async Task Logs_tail_and_follow_stream_the_container_output()
    {
        await env.Docker.RunTickerAsync("ticker-logs");
        await Eventually.WaitAsync(async () => (await GetText(Base + "/containers/ticker-logs/logs?tail=10")).Contains("tick-3"),
            TimeSpan.FromSeconds(20), "three ticks logged");

        var tail = await GetText(Base + "/containers/ticker-logs/logs?tail=2");
        var lines = tail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(2).And.OnlyContain(l => l.StartsWith("tick-"), "the 8-byte frame headers are stripped");
        var last = int.Parse(lines[^1]["tick-".Length..], System.Globalization.CultureInfo.InvariantCulture);

        // Follow keeps the response open and delivers lines written after the request.
        using var follow = await env.Admin.GetAsync(Base + "/containers/ticker-logs/logs?tail=0&follow=true", HttpCompletionOption.ResponseHeadersRead);
        follow.StatusCode.Should().Be(HttpStatusCode.OK);
        follow.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        await using var body = await follow.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body);
        var followed = new List<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (followed.Count < 2)
            followed.Add((await reader.ReadLineAsync(deadline.Token))!);
        followed.Should().OnlyContain(l => l.StartsWith("tick-"));
        int.Parse(followed[0]["tick-".Length..], System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(last);
    }

    [Fact]
    public async Task Bad_names_missing_containers_and_unknown_actions_get_clear_problems()
    {
        using (var response = await env.Admin.PostAsync(Base + "/containers/no-such-container/start", null))
        {
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await Problem(response)).GetProperty("detail").GetString().Should().Contain("no-such-container");
        }

        using (var response = await env.Admin.PostAsync(Base + "/containers/-bad%20name/stop", null))
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using (var response = await env.Admin.GetAsync(Base + "/containers/nope/logs?tail=99999"))
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using (var response = await env.Admin.GetAsync(Base + "/containers/no-such-container/logs"))
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        using (var response = await env.Admin.PostAsync(Base + "/containers/x/pause", null))
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, "only start, stop and restart are routes");
        using (var response = await env.Admin.GetAsync("/api/v1/nodes/nope/docker/containers"))
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_node_without_docker_says_why()
    {
        await using var node = env.Core.NewNode("no-docker");
        var missing = Path.Combine(Path.GetTempPath(), "sx-no-docker-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        node.Environment["SENTINELX_NODE_DOCKER_SOCKET"] = missing;
        var id = await env.Core.StartOnlineNodeAsync(node, env.Admin, "docker");

        var info = await CoreInstance.GetJsonAsync<DockerInfo>(env.Admin, $"/api/v1/nodes/{id}/docker");
        info.Available.Should().BeFalse();
        info.Error.Should().Be($"no Docker socket at {missing}");

        using var list = await env.Admin.GetAsync($"/api/v1/nodes/{id}/docker/containers");
        list.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await Problem(list)).GetProperty("detail").GetString().Should().Contain("no Docker socket");
    }

    [Fact]
    public async Task Closed_locks_and_viewers_are_refused_and_refusals_are_audited()
    {
        using var viewer = await env.Core.ClientAsync("viewer");
        using (var response = await viewer.GetAsync(Base + "/containers"))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var response = await viewer.PostAsync(Base + "/containers/anything/stop", null))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var operatorClient = await env.Core.ClientAsync("operator");
        (await CoreInstance.GetJsonAsync<DockerInfo>(operatorClient, Base)).Available.Should().BeTrue("operators may use Docker");

        // The Node's own lock: docker turned on at the Core, but the server allows only exec.
        await using var strict = env.Core.NewNode("exec-only");
        strict.ExtraArgs.AddRange(["--allow", "exec", "--docker-socket", env.Docker.SocketPath]);
        var strictId = await env.Core.StartOnlineNodeAsync(strict, env.Admin, "docker");
        using (var response = await env.Admin.PostAsync($"/api/v1/nodes/{strictId}/docker/containers/any/stop", null))
        {
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await Problem(response)).GetProperty("lock").GetString().Should().Be("node");
        }

        // The Core's lock: turned off again for the Docker host.
        await CoreInstance.SetCapabilitiesAsync(env.Admin, env.NodeId, new Dictionary<string, bool> { ["docker"] = false });
        try
        {
            using var response = await env.Admin.GetAsync(Base + "/containers");
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await Problem(response)).GetProperty("lock").GetString().Should().Be("core");
            using var logs = await env.Admin.GetAsync(Base + "/containers/any/logs");
            (await Problem(logs)).GetProperty("lock").GetString().Should().Be("core");
        }
        finally
        {
            await CoreInstance.SetCapabilitiesAsync(env.Admin, env.NodeId, new Dictionary<string, bool> { ["docker"] = true });
        }

        var refused = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(env.Admin, $"/api/v1/audit?node={strictId}&action=docker.stop");
        refused.Should().ContainSingle().Which.Should().Match<AuditEntryView>(e => e.Result == "refused" && e.Detail == "lock: node" && e.Target == "any");
    }

    private async Task<DockerActionResult> ActAsync(string container, string action)
    {
        using var response = await env.Admin.PostAsync($"{Base}/containers/{container}/{action}", null);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonSerializer.Deserialize<DockerActionResult>(body, CoreInstance.Json)!;
    }

    private async Task<long> StartedAtAsync(string name)
    {
        var list = await CoreInstance.GetJsonAsync<DockerContainerList>(env.Admin, Base + "/containers");
        return list.Containers.Single(c => c.Name == name).StartedAt ?? 0;
    }

    private async Task<string> GetText(string path)
    {
        using var response = await env.Admin.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return body;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
