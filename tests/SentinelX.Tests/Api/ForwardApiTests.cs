using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Api;

/// <summary>One Core and two in-process Nodes that allow forwarding (entry and exit), with a client per role.</summary>
public sealed class ForwardApp : IAsyncLifetime
{
    public CoreApp Core { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Operator { get; private set; } = null!;
    public HttpClient Viewer { get; private set; } = null!;
    public string EntryId => _entry.Id;
    public string ExitId => _exit.Id;

    private TestNode _entry = null!;
    private TestNode _exit = null!;

    public async Task InitializeAsync()
    {
        await Core.InitializeAsync();
        Admin = await Core.ClientAsync();
        Operator = await Core.ClientAsync("operator");
        Viewer = await Core.ClientAsync("viewer");
        _entry = await StartForwardNodeAsync("fwd-entry");
        _exit = await StartForwardNodeAsync("fwd-exit");
    }

    /// <summary>A Node whose owner allows forwarding (loopback targets too), with the Core's forward switch on.</summary>
    internal async Task<TestNode> StartForwardNodeAsync(string name)
    {
        var node = await TestNode.StartOnlineAsync(Core, Admin, name, ["forward"], TestNode.AllowLoopback);
        await CoreApp.SetCapabilitiesAsync(Admin, node.Id, new Dictionary<string, bool> { ["forward"] = true });
        return node;
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Operator.Dispose();
        Viewer.Dispose();
        await _entry.DisposeAsync();
        await _exit.DisposeAsync();
        await Core.DisposeAsync();
    }
}

/// <summary>The forwarding rules API against the Core and two in-process Nodes: storage, validation, refusals, roles, locks and audit.</summary>
[Trait("Tier", "Api")]
[Collection(CoreInProcess.Name)]
public sealed class ForwardApiTests(ForwardApp fx) : IClassFixture<ForwardApp>
{
    private static readonly JsonSerializerOptions Json = CoreApp.Json;

    [Fact]
    public async Task A_rule_is_created_listed_read_and_deleted()
    {
        var created = await CreateAsync(fx.Operator, Rule("web", 31080, "10.255.0.5:80", "backup.example:80") with { Balance = "failover", MaxConnections = 20 });

        created.Name.Should().Be("web");
        created.NodeId.Should().Be(fx.EntryId);
        created.NodeName.Should().Be("fwd-entry");
        created.Targets.Should().Equal("10.255.0.5:80", "backup.example:80");
        (created.Balance, created.MaxConnections, created.Protocol, created.Mode).Should().Be(("failover", 20, "tcp", "userspace"));
        created.Stats.Should().Be(new StatsView(0, 0, 0, 0));

        var list = await CoreApp.GetJsonAsync<List<ForwardView>>(fx.Viewer, "/api/v1/forwards");
        list.Should().Contain(r => r.Id == created.Id && r.ListenPort == 31080);

        // The entry Node answered the push: the rule is either running or shows the Node's exact reason.
        var settled = await Eventually.ValueAsync(async () =>
        {
            var view = await CoreApp.GetJsonAsync<ForwardView>(fx.Viewer, $"/api/v1/forwards/{created.Id}");
            return view.Status == "pending" ? null : view;
        }, "rule status settled");
        if (settled.Status == "active") settled.Error.Should().BeNull();
        else settled.Should().Match<ForwardView>(v => v.Status == "error" && v.Error!.Contains("forward.sync"));
        settled.Placements.Should().ContainSingle().Which.Role.Should().Be("entry");

        var history = await CoreApp.GetJsonAsync<HistoryView>(fx.Viewer, $"/api/v1/forwards/{created.Id}/history?range=1h");
        history.BucketSeconds.Should().Be(60);
        history.Points.Should().HaveCount(60).And.OnlyContain(p => p.BytesIn == 0 && p.BytesOut == 0);
        var months = await CoreApp.GetJsonAsync<List<MonthView>>(fx.Viewer, $"/api/v1/forwards/{created.Id}/months?count=3");
        months.Should().HaveCount(3);
        months[0].PeriodStart.Should().BeGreaterThan(months[1].PeriodStart);
        using (var badRange = await fx.Viewer.GetAsync($"/api/v1/forwards/{created.Id}/history?range=2y"))
            badRange.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        using (var deleted = await fx.Operator.DeleteAsync($"/api/v1/forwards/{created.Id}"))
            deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        using (var gone = await fx.Viewer.GetAsync($"/api/v1/forwards/{created.Id}"))
            gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        using (var again = await fx.Operator.DeleteAsync($"/api/v1/forwards/{created.Id}"))
            again.StatusCode.Should().Be(HttpStatusCode.NotFound);

        var audit = await CoreApp.GetJsonAsync<List<AuditEntryView>>(fx.Admin, $"/api/v1/audit?node={fx.EntryId}");
        audit.Should().Contain(e => e.Action == "forward.create" && e.Target == "web" && e.Result == "ok" && e.Actor == "test-operator");
        audit.Should().Contain(e => e.Action == "forward.delete" && e.Target == "web" && e.Result == "ok");
    }

    [Fact]
    public async Task A_rule_can_be_replaced_and_keeps_its_id()
    {
        var created = await CreateAsync(fx.Operator, Rule("edit-me", 31180, "10.255.0.5:80"));

        using var response = await fx.Operator.PutAsJsonAsync($"/api/v1/forwards/{created.Id}",
            Rule("edited", 31181, "10.255.0.6:8080") with { Protocol = "udp", UdpIdleSeconds = 30 }, Json);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        var view = await CoreApp.GetJsonAsync<ForwardView>(fx.Viewer, $"/api/v1/forwards/{created.Id}");
        (view.Name, view.ListenPort, view.Protocol, view.UdpIdleSeconds).Should().Be(("edited", 31181, "udp", 30));
        view.Targets.Should().Equal("10.255.0.6:8080");
        // Saving again on the same port is no conflict with itself.
        using (var same = await fx.Operator.PutAsJsonAsync($"/api/v1/forwards/{created.Id}", Rule("edited", 31181, "10.255.0.7:8080"), Json))
            same.StatusCode.Should().Be(HttpStatusCode.OK, await same.Content.ReadAsStringAsync());
        (await ProblemAsync(fx.Operator, HttpMethod.Put, "/api/v1/forwards/no-such-rule", Rule("x", 31182, "10.255.0.5:80"))).Status.Should().Be(404);
    }

    [Fact]
    public async Task Bad_input_gets_400_with_an_error_per_field()
    {
        var problem = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards",
            Rule("", 0, "no-port", "ok.example:80") with { Protocol = "sctp", ResetDay = 31 });

        problem.Status.Should().Be(400);
        problem.Errors!.Keys.Should().BeEquivalentTo("name", "listenPort", "protocol", "resetDay", "targets[0]");
        problem.Errors["listenPort"].Should().Equal("listenPort must be within 1 to 65535");
        problem.Errors["targets[0]"].Should().Equal("\"no-port\" is not host:port or [IPv6]:port with a valid host name and a port within 1 to 65535");

        var unknown = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards", Rule("x", 31280, "10.255.0.5:80") with { NodeId = "no-such-node" });
        unknown.Status.Should().Be(404);
        unknown.Errors!["nodeId"].Should().Equal("there is no node with id no-such-node");

        var kernel = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards",
            Rule("k", 31281, "10.255.0.5:80") with { Mode = "kernel", BandwidthMbps = 10 });
        kernel.Errors!["bandwidthMbps"].Should().Equal("kernel mode cannot limit bandwidth; use userspace mode");
    }

    public static TheoryData<string, string> HostileFields => new()
    {
        { "listenPort", """{"listenPort":70000}""" },
        { "listenPort", """{"listenPort":-1}""" },
        { "name", $$"""{"name":"{{new string('n', 10_000)}}"}""" },
        { "name", """{"name":"  \t "}""" },
        { "listenAddress", """{"listenAddress":"0.0.0.0; rm -rf /"}""" },
        { "bandwidthMbps", """{"bandwidthMbps":-1}""" },
        { "maxConnections", """{"maxConnections":-5}""" },
        { "udpIdleSeconds", """{"udpIdleSeconds":0}""" },
        { "udpIdleSeconds", """{"udpIdleSeconds":100000}""" },
        { "proxyProtocol", """{"proxyProtocol":3}""" },
        { "balance", """{"balance":"random"}""" },
        { "mode", """{"mode":"KERNEL"}""" },
        { "targets", """{"targets":[]}""" },
        { "targets[0]", """{"targets":["10.255.0.5:99999"]}""" },
        { "targets[0]", """{"targets":["[::1"]}""" },
        { "targets[0]", """{"targets":["a b.example:80"]}""" },
        { "targets[0]", """{"targets":["evil.example:80\r\nX-Injected: 1"]}""" },
        { "targets[1]", """{"targets":["10.255.0.5:80","10.255.0.5:0"]}""" },
    };

    [Theory]
    [MemberData(nameof(HostileFields))]
    public async Task A_hostile_value_gets_400_naming_its_field_and_stores_nothing(string field, string patch)
    {
        var name = "hostile-" + Guid.NewGuid().ToString("N")[..8];
        var body = JsonSerializer.SerializeToNode(Rule(name, 31290, "10.255.0.5:80"), Json)!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(patch)!.AsObject()) body[key] = value?.DeepClone();
        var before = await CoreApp.GetJsonAsync<List<ForwardView>>(fx.Viewer, "/api/v1/forwards");

        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await fx.Operator.PostAsync("/api/v1/forwards", content);

        var problem = JsonSerializer.Deserialize<Problem>(await response.Content.ReadAsStringAsync(), Json)!;
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        problem.Errors!.Keys.Should().Contain(field);
        problem.Errors[field].Should().NotBeEmpty().And.OnlyContain(m => m.Length > 0 && m.Length < 300, "an error names the problem, not the whole input");
        (await CoreApp.GetJsonAsync<List<ForwardView>>(fx.Viewer, "/api/v1/forwards")).Should().HaveCount(before.Count);
    }

    [Fact]
    public async Task A_rule_that_forwards_to_itself_is_refused_as_a_loop()
    {
        var problem = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards", Rule("loop", 31380, "127.0.0.1:31380"));

        problem.Status.Should().Be(422);
        problem.Title.Should().Be("Forwarding loop");
        problem.Detail.Should().Be("target 127.0.0.1:31380 is this rule's own listen address (port 31380 on node fwd-entry): it would forward to itself");
        var list = await CoreApp.GetJsonAsync<List<ForwardView>>(fx.Viewer, "/api/v1/forwards");
        list.Should().NotContain(r => r.Name == "loop");
        var audit = await CoreApp.GetJsonAsync<List<AuditEntryView>>(fx.Admin, $"/api/v1/audit?node={fx.EntryId}&action=forward.create");
        audit.Should().Contain(e => e.Target == "loop" && e.Result == "refused" && e.Detail.StartsWith("422 "));
    }

    [Fact]
    public async Task Two_rules_cannot_share_a_port_on_one_node()
    {
        await CreateAsync(fx.Operator, Rule("first", 31480, "10.255.0.5:80"));

        var problem = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards", Rule("second", 31480, "10.255.0.6:80"));

        problem.Status.Should().Be(409);
        problem.Detail.Should().Be($"port 31480/tcp on node {fx.EntryId} is already used by rule \"first\"");
        // The same port for UDP, or on the other Node, is free.
        await CreateAsync(fx.Operator, Rule("first-udp", 31480, "10.255.0.5:53") with { Protocol = "udp" });
        await CreateAsync(fx.Operator, Rule("other-node", 31480, "10.255.0.5:80") with { NodeId = fx.ExitId });
    }

    [Fact]
    public async Task A_chain_across_two_nodes_gets_a_hop_listener_on_the_exit()
    {
        var created = await CreateAsync(fx.Operator, Rule("chained", 31580, "10.255.0.5:80") with
        {
            NodeId = null,
            Chain = [new HopInput(fx.EntryId, "tcp"), new HopInput(fx.ExitId, "ws") { Path = "/relay" }],
        });

        created.NodeId.Should().Be(fx.EntryId);
        created.Chain.Select(h => h.NodeName).Should().Equal("fwd-entry", "fwd-exit");
        var hop = created.Chain[1];
        (hop.Transport, hop.Path, hop.Host).Should().Be(("ws", "/relay", "127.0.0.1"), "the exit is dialled where it connects to the Core from");
        hop.Port.Should().BeInRange(20000, 29999);
        created.Placements.Select(p => (p.NodeName, p.Role)).Should().Equal(("fwd-entry", "entry"), ("fwd-exit", "exit"));

        // The exit's hop port is now taken there.
        var problem = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards", Rule("on-hop-port", hop.Port, "10.255.0.5:80") with { NodeId = fx.ExitId });
        problem.Status.Should().Be(409);
        problem.Detail.Should().Be($"port {hop.Port}/tcp on node {fx.ExitId} is already used by the hop listener of rule \"chained\"");
    }

    [Fact]
    public async Task A_closed_forward_lock_and_the_viewer_role_are_refused()
    {
        // The Node allows forwarding, so the Core's switch (off) is the lock that refuses.
        await using var node = await TestNode.StartOnlineAsync(fx.Core, fx.Admin, "fwd-locked", ["forward"]);
        var lockedId = node.Id;

        var problem = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards", Rule("locked", 31680, "10.255.0.5:80") with { NodeId = lockedId });
        problem.Status.Should().Be(403);
        problem.Lock.Should().Be("core");
        problem.Detail.Should().Contain("fwd-locked");

        // A chain through it is refused just the same, naming that Node.
        problem = await ProblemAsync(fx.Operator, HttpMethod.Post, "/api/v1/forwards", Rule("locked-chain", 31681, "10.255.0.5:80") with
        {
            Chain = [new HopInput(fx.EntryId, "tcp"), new HopInput(lockedId, "tcp")],
        });
        problem.Status.Should().Be(403);
        problem.Lock.Should().Be("core");
        problem.Detail.Should().Contain("fwd-locked");

        using (var response = await CoreApp.PostJsonAsync(fx.Viewer, "/api/v1/forwards", Rule("viewer", 31682, "10.255.0.5:80")))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var audit = await CoreApp.GetJsonAsync<List<AuditEntryView>>(fx.Admin, $"/api/v1/audit?node={lockedId}&action=forward.create");
        audit.Should().ContainSingle(e => e.Target == "locked" && e.Result == "refused" && e.Detail.StartsWith("lock core"));
    }

    [Fact]
    public async Task A_node_that_goes_away_shows_its_rules_pending_and_gets_them_again_after_hello()
    {
        await using var node = await fx.StartForwardNodeAsync("fwd-roaming");
        var id = node.Id;
        var created = await CreateAsync(fx.Operator, Rule("roaming", 31780, "10.255.0.5:80") with { NodeId = id });
        created.Status.Should().NotBe("pending", "the Node was online and answered the push");

        await node.StopAsync();
        var offline = await Eventually.ValueAsync(async () =>
        {
            var view = await CoreApp.GetJsonAsync<ForwardView>(fx.Viewer, $"/api/v1/forwards/{created.Id}");
            return view.Status == "pending" ? view : null;
        }, "rule pending while its node is offline");
        offline.Error.Should().Be("node offline");

        // While the Node is away the rule can still change; it is applied when the Node says hello.
        using (var response = await fx.Operator.PutAsJsonAsync($"/api/v1/forwards/{created.Id}", Rule("roaming", 31781, "10.255.0.5:80") with { NodeId = id }, Json))
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        await node.StartAsync(fx.Admin);
        var back = await Eventually.ValueAsync(async () =>
        {
            var view = await CoreApp.GetJsonAsync<ForwardView>(fx.Viewer, $"/api/v1/forwards/{created.Id}");
            return view.Status == "pending" ? null : view;
        }, "rule pushed again after the node's hello");
        back.ListenPort.Should().Be(31781);
        back.Error.Should().NotBe("node offline");
    }

    private InputView Rule(string name, int port, params string[] targets) => new() { Name = name, NodeId = fx.EntryId, ListenPort = port, Targets = targets };

    private static async Task<ForwardView> CreateAsync(HttpClient client, InputView input)
    {
        using var response = await CoreApp.PostJsonAsync(client, "/api/v1/forwards", input);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        var view = JsonSerializer.Deserialize<ForwardView>(body, Json)!;
        response.Headers.Location!.ToString().Should().Be($"/api/v1/forwards/{view.Id}");
        return view;
    }

    private static async Task<Problem> ProblemAsync(HttpClient client, HttpMethod method, string path, InputView body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: Json) };
        using var response = await client.SendAsync(request);
        var problem = JsonSerializer.Deserialize<Problem>(await response.Content.ReadAsStringAsync(), Json)!;
        problem.Status.Should().Be((int)response.StatusCode);
        return problem;
    }

    private sealed record InputView
    {
        public string? Name { get; init; }
        public string? NodeId { get; init; }
        public string Protocol { get; init; } = "tcp";
        public int ListenPort { get; init; }
        public IReadOnlyList<string> Targets { get; init; } = [];
        public string Balance { get; init; } = "roundrobin";
        public string Mode { get; init; } = "userspace";
        public double BandwidthMbps { get; init; }
        public int MaxConnections { get; init; }
        public int UdpIdleSeconds { get; init; } = 60;
        public int ResetDay { get; init; } = 1;
        public IReadOnlyList<HopInput> Chain { get; init; } = [];
    }

    private sealed record HopInput(string NodeId, string Transport)
    {
        public string? Path { get; init; }
    }

    private sealed record ForwardView(string Id, string Name, string NodeId, string NodeName, string Protocol, int ListenPort, IReadOnlyList<string> Targets,
        string Balance, string Mode, int MaxConnections, int UdpIdleSeconds, IReadOnlyList<HopView> Chain, string Status, string? Error, StatsView Stats,
        IReadOnlyList<PlacementView> Placements);

    private sealed record HopView(string NodeId, string NodeName, string Transport, string Host, int Port, string Path);

    private sealed record StatsView(long BytesIn, long BytesOut, int ConnectionsActive, long ConnectionsTotal);

    private sealed record PlacementView(string NodeId, string NodeName, string Role, string Status, string? Error);

    private sealed record HistoryView(string RuleId, int BucketSeconds, IReadOnlyList<PointView> Points);

    private sealed record PointView(long Time, long BytesIn, long BytesOut);

    private sealed record MonthView(long PeriodStart, long BytesIn, long BytesOut);

    private sealed record Problem(int Status, string? Title, string? Detail, string? Lock, Dictionary<string, string[]>? Errors);
}
