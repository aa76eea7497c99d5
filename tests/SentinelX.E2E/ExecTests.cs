using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>One Core and one exec-enabled Node (running as root, as tests do here) shared by <see cref="ExecTests"/>.</summary>
public sealed class ExecFixture : IAsyncLifetime
{
    public CoreInstance Core { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Operator { get; private set; } = null!;
    public NodeInstance Node { get; private set; } = null!;
    public string NodeId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Core.StartAsync();
        Admin = await Core.ClientAsync();
        Operator = await Core.ClientAsync("operator");
        Node = Core.NewNode("exec-main");
        NodeId = await Core.StartOnlineNodeAsync(Node, Admin, "exec");
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Operator.Dispose();
        await Node.DisposeAsync();
        await Core.DisposeAsync();
    }
}

/// <summary>Commands on real Nodes through the API: locks, roles, output, limits, timeout, cancel, batches, audit.</summary>
public sealed class ExecTests(ExecFixture fx) : IClassFixture<ExecFixture>
{
    private static readonly JsonSerializerOptions Json = CoreInstance.Json;

    [Fact]
    public async Task Both_locks_and_the_role_are_checked_and_refusals_are_audited()
    {
        await using var node = fx.Core.NewNode("exec-files-only");
        node.ExtraArgs.AddRange(["--allow", "files"]);
        var id = await fx.Core.StartOnlineNodeAsync(node, fx.Admin);

        // The server's own lock is named even while the Core's is closed too: turning exec on would not help.
        var refused = await ProblemAsync(fx.Operator, id, new { command = "echo no" });
        refused.Status.Should().Be(403);
        refused.Lock.Should().Be("node");

        await CoreInstance.SetCapabilitiesAsync(fx.Admin, id, new Dictionary<string, bool> { ["exec"] = true });
        refused = await ProblemAsync(fx.Operator, id, new { command = "echo no" });
        refused.Status.Should().Be(403);
        refused.Lock.Should().Be("node");

        using var viewer = await fx.Core.ClientAsync("viewer");
        using (var response = await CoreInstance.PostJsonAsync(viewer, $"/api/v1/nodes/{fx.NodeId}/exec", new { command = "echo viewer" }))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var response = await viewer.GetAsync($"/api/v1/nodes/{fx.NodeId}/exec"))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var ok = await RunAsync(fx.Operator, fx.NodeId, new { command = "echo operator-ok" });
        ok.Stdout.Should().Be("operator-ok\n");

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fx.Admin, $"/api/v1/audit?node={id}&action=exec.run");
        audit.Should().HaveCount(2);
        audit.Should().OnlyContain(e => e.Result == "refused" && e.Actor == "test-operator" && e.Target == "echo no");
        audit.Should().OnlyContain(e => e.Detail.StartsWith("lock node"));
        var mine = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fx.Admin, $"/api/v1/audit?node={fx.NodeId}&action=exec.run");
        mine.Should().Contain(e => e.Target == "echo operator-ok" && e.Result == "ok" && e.Actor == "test-operator" && e.Detail.StartsWith("exit 0 in "));
    }

    [Fact]
    public async Task Output_exit_codes_users_directories_and_bytes_come_back_as_they_are()
    {
        var result = await RunAsync(fx.Operator, fx.NodeId, new { command = "echo out; echo err >&2; exit 3", timeoutSeconds = 30 });
        result.Status.Should().Be("exited");
        result.ExitCode.Should().Be(3);
        result.Stdout.Should().Be("out\n");
        result.Stderr.Should().Be("err\n");
        result.Truncated.Should().BeFalse();

        var binary = await RunAsync(fx.Operator, fx.NodeId, new { command = @"printf '\377\376 ok'" });
        binary.ExitCode.Should().Be(0);
        binary.Stdout.Should().Be("\uFFFD\uFFFD ok");

        var big = await RunAsync(fx.Operator, fx.NodeId, new { command = "head -c 3000000 /dev/zero | tr '\\0' a; echo done >&2" });
        big.ExitCode.Should().Be(0);
        big.Truncated.Should().BeTrue();
        big.Stdout.Length.Should().Be(1024 * 1024);
        big.Stdout.Should().MatchRegex("^a+$");
        big.Stderr.Should().Be("done\n", "the other stream is not cut with it");

        var nobody = await RunAsync(fx.Operator, fx.NodeId, new { command = "id -un; pwd; echo $GREETING", runAs = "nobody", workingDirectory = "/tmp", env = new Dictionary<string, string> { ["GREETING"] = "hi there" } });
        nobody.Stdout.Should().Be("nobody\n/tmp\nhi there\n");

        (await ProblemAsync(fx.Operator, fx.NodeId, new { command = "true", runAs = "no-such-user-x" })).Status.Should().Be(404);
        (await ProblemAsync(fx.Operator, fx.NodeId, new { command = "true", workingDirectory = "/no/such/dir" })).Status.Should().Be(404);
        foreach (var bad in new object[]
                 {
                     new { command = "" }, new { command = "true", timeoutSeconds = 0 }, new { command = "true", timeoutSeconds = 86401 },
                     new { command = new string('x', 64 * 1024 + 1) }, new { command = "true", env = new Dictionary<string, string> { ["1BAD"] = "x" } },
                     new { command = "true", runAs = "root; rm" }, new { command = "true", workingDirectory = "relative" },
                 })
        {
            var problem = await ProblemAsync(fx.Operator, fx.NodeId, bad);
            problem.Status.Should().Be(400, JsonSerializer.Serialize(bad));
            problem.Detail.Should().NotBeNullOrEmpty();
        }

        // History: newest first, without output; the whole run (output included) by id.
        var history = await CoreInstance.GetJsonAsync<List<JsonElement>>(fx.Operator, $"/api/v1/nodes/{fx.NodeId}/exec?limit=3");
        history.Should().HaveCount(3);
        history[0].GetProperty("status").GetString().Should().Be("failed", "a run the Node refused is kept with its reason");
        history[0].GetProperty("error").GetString().Should().Contain("/no/such/dir");
        history[2].GetProperty("runAs").GetString().Should().Be("nobody");
        history[0].TryGetProperty("stdout", out _).Should().BeFalse();
        var stored = await CoreInstance.GetJsonAsync<JsonElement>(fx.Operator, $"/api/v1/exec/runs/{big.RunId}");
        stored.GetProperty("truncated").GetBoolean().Should().BeTrue();
        stored.GetProperty("stdout").GetString()!.Length.Should().Be(1024 * 1024);
        stored.GetProperty("requestedBy").GetString().Should().Be("test-operator");
    }

    [Fact]
    public async Task Timeout_and_cancel_end_the_whole_process_group()
    {
        var marker = Random.Shared.Next(100_000, 999_999);
        var timedOut = await RunAsync(fx.Operator, fx.NodeId, new { command = $"echo started; sleep {marker} & sleep {marker + 1}", timeoutSeconds = 2 });
        timedOut.Status.Should().Be("timeout");
        timedOut.Stdout.Should().Be("started\n");
        (await PgrepAsync($"sleep {marker}")).Should().BeEmpty("the background child is killed with the shell");

        var marker2 = marker + 7;
        var running = Task.Run(() => RunAsync(fx.Operator, fx.NodeId, new { command = $"sleep {marker2} & sleep {marker2 + 1}; echo never" }));
        var runId = await Eventually.ValueAsync(async () =>
        {
            var history = await CoreInstance.GetJsonAsync<List<JsonElement>>(fx.Operator, $"/api/v1/nodes/{fx.NodeId}/exec?limit=1");
            return history.Count == 1 && history[0].GetProperty("status").GetString() == "running" ? history[0].GetProperty("id").GetString() : null;
        }, TimeSpan.FromSeconds(15), "run listed as running");
        await Eventually.WaitAsync(async () => (await PgrepAsync($"sleep {marker2 + 1}")).Length > 0, TimeSpan.FromSeconds(10), "sleep started");

        using (var response = await fx.Operator.PostAsync($"/api/v1/exec/runs/{runId}/cancel", null))
            response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var cancelled = await running;
        cancelled.Status.Should().Be("cancelled");
        cancelled.Stdout.Should().BeEmpty();
        (await PgrepAsync($"sleep {marker2}")).Should().BeEmpty();

        using (var response = await fx.Operator.PostAsync($"/api/v1/exec/runs/{runId}/cancel", null))
            response.StatusCode.Should().Be(HttpStatusCode.Conflict, "a finished run cannot be cancelled again");
        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fx.Admin, $"/api/v1/audit?node={fx.NodeId}&action=exec.");
        audit.Should().Contain(e => e.Action == "exec.cancel" && e.Result == "ok" && e.Actor == "test-operator");
        audit.Should().Contain(e => e.Action == "exec.run" && e.Detail == "timeout after 2 s");
    }

    [Fact]
    public async Task A_batch_by_tag_gives_one_result_per_node_and_a_refused_node_does_not_fail_it()
    {
        await using var second = fx.Core.NewNode("exec-second");
        await using var closed = fx.Core.NewNode("exec-closed");
        var secondId = await fx.Core.StartOnlineNodeAsync(second, fx.Admin, "exec");
        closed.ExtraArgs.AddRange(["--allow", "exec"]); // so the Core's switch is the lock that refuses
        var closedId = await fx.Core.StartOnlineNodeAsync(closed, fx.Admin);
        foreach (var id in new[] { fx.NodeId, secondId, closedId })
        {
            using var response = await fx.Admin.PatchAsJsonAsync($"/api/v1/nodes/{id}", new { tags = "batch-web" });
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using var batchResponse = await CoreInstance.PostJsonAsync(fx.Operator, "/api/v1/exec", new { command = "echo batch-$((20+22))", tag = "batch-web" });
        batchResponse.StatusCode.Should().Be(HttpStatusCode.OK, await batchResponse.Content.ReadAsStringAsync());
        var batch = (await batchResponse.Content.ReadFromJsonAsync<BatchView>(Json))!;
        batch.Results.Should().HaveCount(3);
        batch.Results.Where(r => r.NodeId != closedId).Should().OnlyContain(r => r.Status == "exited" && r.ExitCode == 0 && r.Stdout == "batch-42\n" && r.RunId != null);
        var refused = batch.Results.Single(r => r.NodeId == closedId);
        refused.Status.Should().Be("failed");
        refused.Lock.Should().Be("core");
        refused.Error.Should().Contain("exec is off");

        using var byIds = await CoreInstance.PostJsonAsync(fx.Operator, "/api/v1/exec", new { command = "hostname", nodeIds = new[] { secondId, "no-such-node" } });
        var idsBatch = (await byIds.Content.ReadFromJsonAsync<BatchView>(Json))!;
        idsBatch.Results.Select(r => r.Status).Should().Equal("exited", "failed");
        idsBatch.Results[0].Stdout.Should().Be(Environment.MachineName + "\n");

        using var neither = await CoreInstance.PostJsonAsync(fx.Operator, "/api/v1/exec", new { command = "true" });
        neither.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    private static async Task<ExecResult> RunAsync(HttpClient client, string nodeId, object body)
    {
        using var response = await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{nodeId}/exec", body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonSerializer.Deserialize<ExecResult>(text, Json)!;
    }

    private static async Task<Problem> ProblemAsync(HttpClient client, string nodeId, object body)
    {
        using var response = await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{nodeId}/exec", body);
        var problem = JsonSerializer.Deserialize<Problem>(await response.Content.ReadAsStringAsync(), Json)!;
        problem.Status.Should().Be((int)response.StatusCode);
        return problem;
    }

    private static async Task<string> PgrepAsync(string pattern)
    {
        using var pgrep = Process.Start(new ProcessStartInfo("pgrep", ["-f", pattern]) { RedirectStandardOutput = true })!;
        var output = await pgrep.StandardOutput.ReadToEndAsync();
        await pgrep.WaitForExitAsync();
        return output.Trim();
    }

    private sealed record ExecResult(string? RunId, string NodeId, string? NodeName, string Status, int? ExitCode, string Stdout, string Stderr,
        long DurationMs, bool Truncated, string? Error, string? Lock);

    private sealed record BatchView(string BatchId, List<ExecResult> Results);

    private sealed record Problem(int Status, string? Title, string? Detail, string? Lock);
}
