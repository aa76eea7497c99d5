using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SentinelX.Shared.Metrics;

/// <summary>
/// The alerts benchmark behind tests/bench/alerts.sh, in one run against one Core: the Core's CPU
/// with NODES simulated Nodes and no rules, then with 20 rules that cover every Node; the time from
/// a sample that crosses a threshold to the webhook notification it causes; and /status requests/s
/// while ingest goes on.
/// <para>
/// Everyday samples stay below every rule's threshold, so the rules phase measures evaluation, not
/// the cost of storing events and sending notifications. Only the latency phase crosses a threshold,
/// on a few Nodes.
/// </para>
/// usage: SentinelX.LoadGen alerts CORE_URL KEY ADMIN_TOKEN CORE_PID [NODES=2000] [SECONDS=60]
/// </summary>
internal static class AlertsBench
{
    private const double FlipThreshold = 90;
    private const int FlipSeconds = 3;
    private const int StatusClients = 4;
    private const int StatusSeconds = 10;
    private const int StatusShown = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: SentinelX.LoadGen alerts CORE_URL KEY ADMIN_TOKEN CORE_PID [NODES] [SECONDS]");
            return 2;
        }

        var core = new Uri(args[0]);
        var corePid = int.Parse(args[3], CultureInfo.InvariantCulture);
        var nodeCount = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 2000;
        var seconds = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 60;
        var flipCount = Math.Min(20, nodeCount);
        var latencySeconds = Math.Clamp(seconds / 2, 15, 30);

        using var http = new HttpClient { BaseAddress = core, Timeout = TimeSpan.FromSeconds(60) };
        using var admin = new HttpClient { BaseAddress = core, Timeout = TimeSpan.FromSeconds(60) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", args[2]);
        using var run = new CancellationTokenSource();
        await using var webhook = WebhookReceiver.Start();
        var flips = new Crossings();

        var stopwatch = Stopwatch.StartNew();
        var nodes = await SimNode.ConnectAllAsync(http, core, args[1], nodeCount, run.Token, (i, node) =>
        {
            if (i < flipCount)
            {
                node.Cpu = seq => flips.Flipping ? (seq / FlipSeconds % 2 == 1 ? FlipThreshold + 5 : FlipThreshold - 70) : Everyday();
                node.Sending = (sample, at) => flips.Record(node.Id, sample, at);
            }
            else
            {
                node.Cpu = _ => Everyday();
            }
        });
        Console.Error.WriteLine($"{nodeCount} nodes enrolled and connected in {stopwatch.Elapsed.TotalSeconds:0.0} s");

        // A quota on every Node, so the traffic rules compute a percentage instead of returning early.
        await ForEachAsync(nodes, 8, n => admin.PatchAsJsonAsync($"/api/v1/nodes/{n.Id}", new JsonObject { ["trafficQuotaBytes"] = 1L << 50 }));
        var channelId = await CreateAsync(admin, "/api/v1/alerts/channels", new JsonObject
        {
            ["name"] = "bench webhook",
            ["type"] = "webhook",
            ["config"] = new JsonObject { ["url"] = webhook.Url.ToString(), ["headers"] = new JsonObject() },
        });

        // Warm up (JIT, first writes) before anything is measured, then alternate without and with
        // rules, each twice for half the time: the machine is shared, and alternating spreads what
        // the neighbours do over both figures instead of charging it to whichever came second.
        Console.Error.WriteLine("warm-up 10 s");
        await Task.Delay(10_000);
        var rules = Rules(channelId);
        var ruleIds = new List<string>();
        var baseline = new List<CpuWindow>();
        var withRules = new List<CpuWindow>();
        for (var round = 1; round <= 2; round++)
        {
            Console.Error.WriteLine($"round {round}: no rules, {seconds / 2} s");
            baseline.Add(await MeasureAsync(nodes, corePid, seconds / 2));
            ruleIds.Clear();
            foreach (var rule in rules) ruleIds.Add(await CreateAsync(admin, "/api/v1/alerts/rules", rule));
            await Task.Delay(2000);
            Console.Error.WriteLine($"round {round}: {rules.Count} rules covering every node, {seconds / 2} s");
            withRules.Add(await MeasureAsync(nodes, corePid, seconds / 2));
            if (round == 1)
            {
                foreach (var id in ruleIds) (await admin.DeleteAsync($"/api/v1/alerts/rules/{id}")).Dispose();
                await Task.Delay(2000);
            }
        }

        var latencyRule = ruleIds[0];
        Console.Error.WriteLine($"latency: {flipCount} nodes cross cpuPercent > {FlipThreshold} every {FlipSeconds} s for {latencySeconds} s");
        flips.Flipping = true;
        await Task.Delay(TimeSpan.FromSeconds(latencySeconds));
        flips.Flipping = false;
        await Task.Delay(5000); // the crossing back down and its resolved notification
        var latency = Match(webhook.Received, flips, latencyRule);

        var status = await StatusLoadAsync(core, admin, nodes);

        await run.CancelAsync();
        await Task.WhenAll(nodes.Select(n => n.Sender));
        foreach (var n in nodes) await n.DisposeAsync();

        var without = CpuWindow.Mean(baseline);
        var with = CpuWindow.Mean(withRules);
        var added = with.CorePercent - without.CorePercent;
        var relative = 100 * added / without.CorePercent;
        var sorted = latency.Ms.Order().ToArray();
        var p95 = Proc.Pct(sorted, 95);
        var cpuPass = relative < 10;
        var latencyPass = sorted.Length > 0 && p95 < 2000;
        var statusPass = status.PerSecond > 1000 && status.Failed == 0;

        Console.WriteLine();
        Console.WriteLine("=== alerts benchmark ===");
        Console.WriteLine($"nodes                      {nodeCount} at 1 sample/s; {seconds} s without and {seconds} s with rules, alternated in {seconds / 2} s windows");
        Console.WriteLine($"core CPU, no rules         {without}");
        Console.WriteLine($"core CPU, {rules.Count} rules          {with}");
        Console.WriteLine($"  per window               without {string.Join(" / ", baseline.Select(w => w.CorePercent.ToString("0.0", CultureInfo.InvariantCulture)))} %, with {string.Join(" / ", withRules.Select(w => w.CorePercent.ToString("0.0", CultureInfo.InvariantCulture)))} %");
        Console.WriteLine($"added by evaluation        {added:+0.0;-0.0} points of one core = {relative:+0.0;-0.0} % of the no-rules figure ((with − without) / without); ratio with/without {with.CorePercent / without.CorePercent:0.00}");
        Console.WriteLine($"  target < 10 %            {Verdict(cpuPass)}");
        Console.WriteLine($"sample → notification      p50 {Proc.Pct(sorted, 50):0} ms, p95 {p95:0} ms, max {sorted.LastOrDefault():0} ms ({sorted.Length} notifications matched to {latency.Crossings} crossing samples; {latency.Unmatched} unmatched, {latency.Other} for other rules, {webhook.Malformed} unreadable)");
        Console.WriteLine($"  target p95 < 2 s         {Verdict(latencyPass)}");
        Console.WriteLine($"/status ({StatusShown} nodes)       {status.PerSecond:N0} req/s with {StatusClients} clients for {status.Seconds:0.0} s while ingest runs; p50 {status.P50:0.0} ms, p95 {status.P95:0.0} ms; {status.Failed} not 200");
        Console.WriteLine($"  target > 1,000 req/s     {Verdict(statusPass)}");
        Console.WriteLine($"nodes dropped by the Core  {nodes.Count(n => n.Disconnected)}");
        return cpuPass && latencyPass && statusPass ? 0 : 1;
    }

    /// <summary>The CPU figure of an ordinary Node: below every rule's threshold.</summary>
    private static double Everyday() => Random.Shared.NextDouble() * 60;

    private static string Verdict(bool pass) => pass ? "PASS" : "FAIL";

    /// <summary>
    /// Twenty rules with scope "all", so each sample meets 20 rules: held and averaged metric rules
    /// on every metric, an offline rule and two traffic rules. The first (the one the latency phase
    /// trips) notifies the webhook; so do the others, should one ever fire.
    /// </summary>
    private static List<JsonObject> Rules(string channelId)
    {
        static JsonObject Metric(string metric, string op, double threshold, int? forSeconds = null, int? avgMinutes = null)
        {
            var condition = new JsonObject { ["kind"] = "metric", ["metric"] = metric, ["op"] = op, ["threshold"] = threshold };
            if (avgMinutes is { } avg) condition["avgMinutes"] = avg;
            else condition["forSeconds"] = forSeconds ?? 0;
            return condition;
        }

        JsonObject[] conditions =
        [
            Metric("cpuPercent", ">", FlipThreshold),
            Metric("cpuPercent", ">", 80, forSeconds: 30),
            Metric("cpuPercent", ">", 95, avgMinutes: 5),
            Metric("memPercent", ">", 90),
            Metric("memPercent", ">", 80, avgMinutes: 10),
            Metric("memPercent", "<", 1, forSeconds: 60),
            Metric("swapPercent", ">", 50, forSeconds: 60),
            Metric("diskPercent", ">", 90),
            Metric("diskPercent", ">", 95, avgMinutes: 1),
            Metric("load1", ">", 8, forSeconds: 10),
            Metric("load5", ">", 6, avgMinutes: 5),
            Metric("load15", ">", 4),
            Metric("netRxBps", ">", 1e8, avgMinutes: 1),
            Metric("netTxBps", ">", 1e8, forSeconds: 30),
            Metric("tcpConnections", ">", 10_000),
            Metric("processes", ">", 2000, forSeconds: 60),
            Metric("temperature", ">", 85),
            new JsonObject { ["kind"] = "offline", ["forSeconds"] = 60 },
            new JsonObject { ["kind"] = "traffic", ["percent"] = 90, ["direction"] = "sum" },
            new JsonObject { ["kind"] = "traffic", ["percent"] = 95, ["direction"] = "in" },
        ];
        return [.. conditions.Select((c, i) => new JsonObject
        {
            ["name"] = $"bench {i + 1:D2} {c["kind"]} {c["metric"]}".TrimEnd(),
            ["scope"] = new JsonObject { ["all"] = true },
            ["condition"] = c,
            ["severity"] = i == 0 ? "critical" : "warning",
            ["channels"] = new JsonArray(channelId),
        })];
    }

    private static async Task<string> CreateAsync(HttpClient admin, string path, JsonObject body)
    {
        using var response = await admin.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    private static async Task ForEachAsync(IEnumerable<SimNode> nodes, int parallel, Func<SimNode, Task<HttpResponseMessage>> call) =>
        await Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (node, _) =>
        {
            using var response = await call(node);
            response.EnsureSuccessStatusCode();
        });

    private static async Task<CpuWindow> MeasureAsync(SimNode[] nodes, int corePid, int seconds)
    {
        var (core, gen, all) = (Proc.CpuSeconds(corePid), Proc.CpuSeconds(Environment.ProcessId), Proc.MachineBusySeconds());
        var acked = nodes.Sum(n => n.Acked);
        var start = Stopwatch.GetTimestamp();
        for (var s = 1; s <= seconds; s++)
        {
            await Task.Delay(1000);
            if (s % 10 == 0) Console.Error.WriteLine($"  {s,4} s: core CPU so far {100 * (Proc.CpuSeconds(corePid) - core) / Stopwatch.GetElapsedTime(start).TotalSeconds:0.0}%");
        }

        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var coreUsed = Proc.CpuSeconds(corePid) - core;
        var genUsed = Proc.CpuSeconds(Environment.ProcessId) - gen;
        var others = Proc.MachineBusySeconds() - all - coreUsed - genUsed;
        return new CpuWindow(100 * coreUsed / elapsed, 100 * genUsed / elapsed, 100 * others / elapsed, (nodes.Sum(n => n.Acked) - acked) / elapsed);
    }

    private static (List<double> Ms, int Crossings, int Unmatched, int Other) Match(IEnumerable<Notification> received, Crossings crossings, string ruleId)
    {
        var ms = new List<double>();
        var matched = new HashSet<(string, long)>();
        var other = 0;
        foreach (var n in received)
        {
            if (n.RuleId != ruleId)
            {
                other++;
                continue;
            }

            // The Core names the crossing sample by its time: startedAt when firing, resolvedAt when resolved.
            var at = n.State == "firing" ? n.StartedAt : n.ResolvedAt;
            var key = (n.NodeId, at?.ToUnixTimeMilliseconds() ?? 0);
            if (crossings.SentAt.TryGetValue(key, out var sent) && matched.Add(key))
                ms.Add(Stopwatch.GetElapsedTime(sent, n.ReceivedAt).TotalMilliseconds);
        }

        return (ms, crossings.SentAt.Count, crossings.SentAt.Count - matched.Count, other);
    }

    /// <summary>
    /// Publishes the default status page with <see cref="StatusShown"/> of the Nodes, then GETs
    /// /status signed out from a few clients for a while; every answer must be a 200.
    /// </summary>
    private static async Task<StatusLoad> StatusLoadAsync(Uri core, HttpClient admin, SimNode[] nodes)
    {
        var page = new JsonObject
        {
            ["title"] = "Benchmark",
            ["nodeIds"] = new JsonArray([.. nodes.Take(StatusShown).Select(n => JsonValue.Create(n.Id))]),
            ["public"] = true,
        };
        using (var put = await admin.PutAsJsonAsync("/api/v1/status-pages/default", page))
            put.EnsureSuccessStatusCode();
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = StatusClients };
        using var client = new HttpClient(handler) { BaseAddress = core };
        const HttpStatusCode expected = HttpStatusCode.OK;
        Console.Error.WriteLine($"/status answers {(int)expected}: {StatusClients} clients for {StatusSeconds} s");
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(StatusSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, StatusClients).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync("/status");
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (response.StatusCode != expected) Interlocked.Increment(ref failed);
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var sorted = latencies.Order().ToArray();
        return new StatusLoad(sorted.Length / elapsed, elapsed, Proc.Pct(sorted, 50), Proc.Pct(sorted, 95), failed);
    }

    private sealed record CpuWindow(double CorePercent, double LoadGenPercent, double OthersPercent, double StoredPerSecond)
    {
        public static CpuWindow Mean(IReadOnlyList<CpuWindow> windows) => new(
            windows.Average(w => w.CorePercent), windows.Average(w => w.LoadGenPercent), windows.Average(w => w.OthersPercent), windows.Average(w => w.StoredPerSecond));

        public override string ToString() =>
            $"{CorePercent,6:0.0}% of one core ({StoredPerSecond:N0} samples/s stored; load generator {LoadGenPercent:0}%, rest of the machine {OthersPercent:0}%)";
    }

    private sealed record StatusLoad(double PerSecond, double Seconds, double P50, double P95, int Failed);

    /// <summary>The send time of every sample that crossed <see cref="FlipThreshold"/>, by Node and sample time.</summary>
    private sealed class Crossings
    {
        private readonly ConcurrentDictionary<string, bool> _above = new(StringComparer.Ordinal);

        public volatile bool Flipping;

        public ConcurrentDictionary<(string NodeId, long AtMs), long> SentAt { get; } = new();

        /// <summary>Called on each Node's own send loop, so a Node's samples come in order.</summary>
        public void Record(string nodeId, MetricSample sample, long sentAt)
        {
            var above = sample.CpuPercent > FlipThreshold;
            if (_above.GetValueOrDefault(nodeId) != above) SentAt[(nodeId, sample.Timestamp.ToUnixTimeMilliseconds())] = sentAt;
            _above[nodeId] = above;
        }
    }
}
