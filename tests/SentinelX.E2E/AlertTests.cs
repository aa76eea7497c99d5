using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// Alert rules against a real Core and real Node processes, notifying a real local webhook: one
/// event and one notification when a rule starts firing and one when it resolves. Serial: the CPU
/// rule reads this machine's CPU, which other tests running beside it would move.
/// </summary>
[Collection(SerialCollection.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xunit disposes them through IAsyncLifetime.DisposeAsync")]
public sealed class AlertTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = CoreInstance.Json;

    private readonly CoreInstance _core = new();
    private readonly WebhookReceiver _webhook = new();
    private HttpClient _admin = null!;
    private NodeInstance _node = null!;
    private string _nodeId = "";
    private string _channelId = "";

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        _admin = await _core.ClientAsync();
        _node = _core.NewNode("alerts-1");
        _nodeId = await _core.StartOnlineNodeAsync(_node, _admin);
        using var created = await CoreInstance.PostJsonAsync(_admin, "/api/v1/alerts/channels",
            new { name = "hook", type = "webhook", config = new { url = _webhook.Url, headers = new Dictionary<string, string> { ["X-Token"] = "s3cret" } } });
        var body = await created.Content.ReadAsStringAsync();
        created.StatusCode.Should().Be(HttpStatusCode.Created, body);
        _channelId = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _node.DisposeAsync();
        await _core.DisposeAsync();
        _webhook.Dispose();
    }

    [Fact]
    public async Task A_cpu_rule_fires_once_under_load_and_resolves_once_and_a_muted_rule_sends_nothing()
    {
        var rule = await CreateRuleAsync(new
        {
            name = "cpu busy", scope = new { nodeIds = new[] { _nodeId } }, severity = "critical", channels = new[] { _channelId },
            condition = new { kind = "metric", metric = "cpuPercent", op = ">", threshold = 80, forSeconds = 5 },
        });
        var muted = await CreateRuleAsync(new
        {
            name = "cpu muted", scope = new { nodeIds = new[] { _nodeId } }, channels = new[] { _channelId }, muted = true,
            condition = new { kind = "metric", metric = "cpuPercent", op = ">", threshold = 80, forSeconds = 5 },
        });

        // One spinning process per core: this machine's CPU goes to ~100 %.
        var spinners = Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Process.Start("sh", ["-c", "while :; do :; done"])).ToList();
        try
        {
            await Eventually.ValueAsync(async () => (await EventsAsync(rule)).FirstOrDefault(), TimeSpan.FromSeconds(40), "the CPU rule fired");
            await Task.Delay(TimeSpan.FromSeconds(5)); // still busy: nothing more may be sent
        }
        finally
        {
            foreach (var spinner in spinners)
            {
                spinner.Kill();
                await spinner.WaitForExitAsync();
                spinner.Dispose();
            }
        }

        var resolved = await Eventually.ValueAsync(async () => (await EventsAsync(rule)).FirstOrDefault(e => e.State == "resolved"), TimeSpan.FromSeconds(40), "the CPU rule resolved");
        await Task.Delay(TimeSpan.FromSeconds(3));

        (await EventsAsync(rule)).Should().ContainSingle("one event from firing to resolved");
        resolved.Value.Should().BeGreaterThan(80);
        resolved.Threshold.Should().Be(80);
        resolved.NodeId.Should().Be(_nodeId);
        resolved.Message.Should().StartWith("CPU ").And.Contain("> 80 % for 5 s");
        resolved.ResolvedAt.Should().BeAfter(resolved.StartedAt);
        var hooks = await _webhook.WaitForAsync(2, TimeSpan.FromSeconds(20));
        hooks.Select(h => h.GetProperty("state").GetString()).Should().Equal("firing", "resolved");
        hooks.Should().OnlyContain(h => h.GetProperty("ruleId").GetString() == rule && h.GetProperty("nodeId").GetString() == _nodeId);
        hooks[0].GetProperty("severity").GetString().Should().Be("critical");
        hooks[0].GetProperty("threshold").GetDouble().Should().Be(80);
        _webhook.Headers.Should().OnlyContain(h => h == "s3cret");
        (await DeliveriesAsync(rule, 2)).Should().OnlyContain(d => d.Ok && d.ChannelId == _channelId);

        var mutedEvents = await EventsAsync(muted);
        mutedEvents.Should().ContainSingle("a muted rule still records what happened");
        mutedEvents[0].Deliveries.Should().BeEmpty("a muted rule sends nothing");
    }

    [Fact]
    public async Task An_offline_rule_fires_soon_after_the_node_freezes_survives_a_core_restart_and_resolves_once()
    {
        var rule = await CreateRuleAsync(new
        {
            name = "down", scope = new { nodeIds = new[] { _nodeId } }, channels = new[] { _channelId },
            condition = new { kind = "offline", forSeconds = 10 },
        });

        var stopped = Stopwatch.StartNew();
        _node.Process.Signal(19); // SIGSTOP: the connection stays open but the Node says nothing
        try
        {
            await Eventually.ValueAsync(async () => (await EventsAsync(rule)).FirstOrDefault(), TimeSpan.FromSeconds(30), "the offline rule fired");
            stopped.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10 + 5 + 2), "it fires within N + 5 s (plus this poll)");
            (await _webhook.WaitForAsync(1, TimeSpan.FromSeconds(10)))[0].GetProperty("state").GetString().Should().Be("firing");

            // The Core restarts while the rule fires: the open event is loaded, not opened again.
            await _core.StopAsync();
            await _core.StartAsync();
            await Task.Delay(TimeSpan.FromSeconds(5));
            (await EventsAsync(rule)).Should().ContainSingle().Which.State.Should().Be("firing");
        }
        finally
        {
            _node.Process.Signal(18); // SIGCONT
        }

        var resolved = await Eventually.ValueAsync(async () => (await EventsAsync(rule)).FirstOrDefault(e => e.State == "resolved"), TimeSpan.FromSeconds(60), "the offline rule resolved");
        (await EventsAsync(rule)).Should().ContainSingle();
        (await _webhook.WaitForAsync(2, TimeSpan.FromSeconds(10))).Select(h => h.GetProperty("state").GetString()).Should().Equal("firing", "resolved");
        // Each outcome is stored once the webhook has answered: a moment after it received the post.
        await DeliveriesAsync(rule, 2);
    }

    private async Task<string> CreateRuleAsync(object body)
    {
        using var response = await CoreInstance.PostJsonAsync(_admin, "/api/v1/alerts/rules", body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<List<DeliveryView>> DeliveriesAsync(string rule, int count) =>
        await Eventually.ValueAsync(async () => (await EventsAsync(rule)).Single().Deliveries is { } d && d.Count == count && d.All(x => x.Ok) ? d : null,
            TimeSpan.FromSeconds(20), $"{count} successful deliveries stored");

    private async Task<List<EventView>> EventsAsync(string rule) =>
        await CoreInstance.GetJsonAsync<List<EventView>>(_admin, $"/api/v1/alerts/events?rule={rule}");

    private sealed record DeliveryView(string ChannelId, bool Ok, string? Error, DateTimeOffset At);

    private sealed record EventView(
        long Id, string RuleId, string NodeId, string State, double? Value, double? Threshold, string Message,
        DateTimeOffset StartedAt, DateTimeOffset? ResolvedAt, List<DeliveryView> Deliveries);

    /// <summary>A webhook endpoint on loopback that keeps every JSON body it is sent, in order.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly ConcurrentQueue<JsonElement> _bodies = new();

        public WebhookReceiver()
        {
            var port = FreePorts.Tcp();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public ConcurrentQueue<string> Headers { get; } = new();

        public async Task<List<JsonElement>> WaitForAsync(int count, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while (_bodies.Count < count && deadline.Elapsed < timeout) await Task.Delay(100);
            _bodies.Should().HaveCount(count);
            return [.. _bodies];
        }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using (var reader = new StreamReader(context.Request.InputStream))
                    _bodies.Enqueue(JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement.Clone());
                Headers.Enqueue(context.Request.Headers["X-Token"] ?? "");
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        }
    }
}
