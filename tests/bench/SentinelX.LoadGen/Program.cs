using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;

// Load generator: N simulated Nodes enroll with the real Core, connect over real WebSockets and
// send one sample per second each, exactly as sentinelx-node does. It reports how many samples
// the Core acknowledged (acks come only after commit, so acknowledged = stored and queryable),
// the send-to-ack latency, the Core's RSS and CPU, and the API latency under that load.
//
// usage: SentinelX.LoadGen CORE_URL KEY TOKEN CORE_PID [NODES=2000] [SECONDS=60]
//        SentinelX.LoadGen alerts ...  (see AlertsBench)
if (args is ["alerts", ..])
    return await AlertsBench.RunAsync(args[1..]);

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: SentinelX.LoadGen CORE_URL KEY TOKEN CORE_PID [NODES] [SECONDS]");
    return 2;
}

var core = new Uri(args[0]);
var key = args[1];
var token = args[2];
var corePid = int.Parse(args[3], CultureInfo.InvariantCulture);
var nodeCount = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 2000;
var seconds = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 60;

using var http = new HttpClient { BaseAddress = core, Timeout = TimeSpan.FromSeconds(60) };
using var run = new CancellationTokenSource();
var stopwatch = Stopwatch.StartNew();
var nodes = await SimNode.ConnectAllAsync(http, core, key, nodeCount, run.Token);
Console.Error.WriteLine($"{nodeCount} nodes enrolled and connected in {stopwatch.Elapsed.TotalSeconds:0.0} s");

await Task.Delay(3000); // let the last connected nodes settle
SimNode.Measuring = true;
var cpuBefore = Proc.CpuSeconds(corePid);
var sendStart = Stopwatch.GetTimestamp();
long sentBefore = nodes.Sum(n => n.Sent), ackedBefore = nodes.Sum(n => n.Acked);

var apiLatencies = new ConcurrentBag<(string Path, double Ms)>();
using var api = new HttpClient { BaseAddress = core };
api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
var apiLoop = Task.Run(async () =>
{
    var paths = new[] { "/api/v1/nodes", "/api/v1/summary", $"/api/v1/nodes/{nodes[0].Id}", $"/api/v1/nodes/{nodes[0].Id}/metrics?step=60" };
    var k = 0;
    while (!run.IsCancellationRequested)
    {
        var t = Stopwatch.GetTimestamp();
        var path = paths[k++ % paths.Length];
        using (var r = await api.GetAsync(path)) { await r.Content.ReadAsByteArrayAsync(); }
        apiLatencies.Add((path.Split('?')[0].Replace(nodes[0].Id, "{id}", StringComparison.Ordinal), Stopwatch.GetElapsedTime(t).TotalMilliseconds));
        await Task.Delay(200);
    }
});

var peakRss = 0L;
for (var s = 0; s < seconds; s++)
{
    await Task.Delay(1000);
    peakRss = Math.Max(peakRss, Proc.RssKb(corePid));
    if ((s + 1) % 10 == 0)
        Console.Error.WriteLine($"  {s + 1,4} s: sent {nodes.Sum(n => n.Sent),9:N0}, acknowledged {nodes.Sum(n => n.Acked),9:N0}");
}

await run.CancelAsync();
await Task.WhenAll(nodes.Select(n => n.Sender));
await apiLoop.ContinueWith(_ => { });
var sendSeconds = Stopwatch.GetElapsedTime(sendStart).TotalSeconds;
var cpu = Proc.CpuSeconds(corePid) - cpuBefore;
await Task.Delay(3000); // let the last acknowledgements arrive
SimNode.Measuring = false;

long sent = nodes.Sum(n => n.Sent) - sentBefore, acked = nodes.Sum(n => n.Acked) - ackedBefore;
var latencies = nodes.SelectMany(n => n.Latencies).Order().ToArray();
var apiSorted = apiLatencies.Select(a => a.Ms).Order().ToArray();
Console.WriteLine($"nodes                     {nodeCount}");
Console.WriteLine($"duration                  {sendSeconds:0.0} s");
Console.WriteLine($"samples sent              {sent:N0} ({sent / sendSeconds:N0}/s)");
Console.WriteLine($"samples stored (acked)    {acked:N0} ({acked / sendSeconds:N0}/s; acks in the window, so a few from before it count)");
Console.WriteLine($"send→stored latency       p50 {Proc.Pct(latencies, 50):0.0} ms, p99 {Proc.Pct(latencies, 99):0.0} ms, max {latencies.LastOrDefault():0.0} ms");
Console.WriteLine($"API latency under load    p50 {Proc.Pct(apiSorted, 50):0.0} ms, p95 {Proc.Pct(apiSorted, 95):0.0} ms ({apiSorted.Length} requests)");
foreach (var group in apiLatencies.GroupBy(a => a.Path).OrderBy(g => g.Key))
{
    var sorted = group.Select(a => a.Ms).Order().ToArray();
    Console.WriteLine($"  GET {group.Key,-32} p50 {Proc.Pct(sorted, 50):0.0} ms, p95 {Proc.Pct(sorted, 95):0.0} ms");
}

Console.WriteLine($"core CPU                  {cpu:0.0} s over {sendSeconds:0.0} s = {100 * cpu / sendSeconds:0.0}% of one core");
Console.WriteLine($"core peak RSS             {peakRss / 1024.0:0.0} MB");
Console.WriteLine($"loadgen CPU               {Proc.CpuSeconds(Environment.ProcessId):0.0} s in total");
Console.WriteLine($"nodes dropped by the Core {nodes.Count(n => n.Disconnected)}");

foreach (var n in nodes) await n.DisposeAsync();
var unacknowledged = nodes.Sum(n => n.Sent - n.Acked);
Console.WriteLine($"unacknowledged after drain {unacknowledged}");
return unacknowledged == 0 ? 0 : 1;

/// <summary>One simulated Node: the real protocol, synthetic numbers.</summary>
internal sealed class SimNode : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, long> _sentAt = new();
    private readonly List<double> _latencies = new();
    private readonly JsonRpcPeer _peer;
    private readonly Task _loop;
    private long _seq;
    private long _acked;

    private SimNode(string id, ClientWebSocket socket)
    {
        Id = id;
        var methods = new JsonRpcMethods().OnNotification(Methods.SamplesAck, ProtocolJsonContext.Default.SampleAck, (ack, _) =>
        {
            var now = Stopwatch.GetTimestamp();
            lock (_latencies)
            {
                for (var s = _acked + 1; s <= ack.Seq; s++)
                {
                    if (_sentAt.TryRemove(s, out var at) && Measuring) _latencies.Add(Stopwatch.GetElapsedTime(at, now).TotalMilliseconds);
                }

                _acked = Math.Max(_acked, ack.Seq);
            }

            return ValueTask.CompletedTask;
        });
        _peer = new JsonRpcPeer(socket, methods);
        _loop = _peer.RunAsync(CancellationToken.None);
    }

    public static volatile bool Measuring;

    public string Id { get; }
    public Task Sender { get; private set; } = Task.CompletedTask;

    /// <summary>The CPU figure of sample number seq; random 0-100 % when not set.</summary>
    public Func<long, double>? Cpu { get; set; }

    /// <summary>Called with each sample and its send time (<see cref="Stopwatch.GetTimestamp"/>) just before it goes out.</summary>
    public Action<MetricSample, long>? Sending { get; set; }

    public void Start(CancellationToken ct) => Sender = SendLoopAsync(TimeSpan.FromMilliseconds(Random.Shared.Next(1000)), ct);
    public long Sent => Interlocked.Read(ref _seq);
    public long Acked => Interlocked.Read(ref _acked);
    public IReadOnlyList<double> Latencies => _latencies;

    /// <summary>Enrolls and connects <paramref name="count"/> Nodes, 32 at a time; each starts sending once connected, as a real Node does.</summary>
    public static async Task<SimNode[]> ConnectAllAsync(HttpClient http, Uri core, string key, int count, CancellationToken ct, Action<int, SimNode>? configure = null)
    {
        var nodes = new SimNode[count];
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                nodes[i] = await ConnectAsync(http, core, key, i);
                configure?.Invoke(i, nodes[i]);
                nodes[i].Start(ct);
            }
            finally
            {
                gate.Release();
            }
        }));
        return nodes;
    }

    public static async Task<SimNode> ConnectAsync(HttpClient http, Uri core, string key, int index)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolInfo.EnrollPath)
        {
            Content = JsonContent.Create(new EnrollRequest { MachineId = $"loadgen-{index}-{Environment.ProcessId}", Hostname = $"sim-{index}", Name = $"sim-{index:D4}", ProtocolVersion = ProtocolInfo.Version, AgentVersion = "loadgen" }, ProtocolJsonContext.Default.EnrollRequest),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var enrolled = (await response.Content.ReadFromJsonAsync(ProtocolJsonContext.Default.EnrollResponse))!;

#pragma warning disable CA2000 // the returned SimNode owns the socket
        var socket = new ClientWebSocket();
#pragma warning restore CA2000
        socket.Options.SetRequestHeader(ProtocolInfo.NodeIdHeader, enrolled.NodeId);
        socket.Options.SetRequestHeader("Authorization", "Bearer " + enrolled.Secret);
        socket.Options.SetRequestHeader(ProtocolInfo.ProtocolHeader, ProtocolInfo.Version.ToString(CultureInfo.InvariantCulture));
        var endpoint = new UriBuilder(new Uri(core, ProtocolInfo.WebSocketPath)) { Scheme = core.Scheme == "https" ? "wss" : "ws" }.Uri;
        await socket.ConnectAsync(endpoint, CancellationToken.None);
        var node = new SimNode(enrolled.NodeId, socket);
        await node._peer.RequestAsync(Methods.Hello, new HelloParams
        {
            ProtocolVersion = ProtocolInfo.Version,
            AgentVersion = "loadgen",
            SampleIntervalMs = 1000,
            System = new SystemInfo { Hostname = $"sim-{index}", Os = "Simulated Linux", Kernel = "6.0.0", Arch = "amd64", CpuCores = 2 },
        }, ProtocolJsonContext.Default.HelloParams, ProtocolJsonContext.Default.HelloResult);
        return node;
    }

    private async Task SendLoopAsync(TimeSpan offset, CancellationToken ct)
    {
        try
        {
            await Task.Delay(offset, ct);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var tick = 0;
            do
            {
                var seq = Interlocked.Increment(ref _seq);
                var sentAt = _sentAt[seq] = Stopwatch.GetTimestamp();
                var sample = new MetricSample
                {
                    Seq = seq,
                    // Whole milliseconds: alert times are stored in ms, so a notification names its sample exactly.
                    Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
                    CpuPercent = Cpu?.Invoke(seq) ?? Random.Shared.NextDouble() * 100,
                    Load1 = 0.5, Load5 = 0.4, Load15 = 0.3,
                    MemUsedBytes = 512L << 20, MemTotalBytes = 2048L << 20,
                    DiskUsedBytes = 10L << 30, DiskTotalBytes = 40L << 30,
                    NetRxBps = Random.Shared.Next(0, 1 << 20), NetTxBps = Random.Shared.Next(0, 1 << 20),
                    NetRxTotal = seq << 20, NetTxTotal = seq << 19,
                    TcpConnections = 40, UdpConnections = 5, Processes = 120, UptimeSeconds = 86400 + seq,
                };
                Sending?.Invoke(sample, sentAt);
                // Not cancellable: a numbered sample is always sent, so sent and acknowledged compare exactly.
                await _peer.NotifyAsync(Methods.Samples, new SampleBatch { Samples = [sample] }, ProtocolJsonContext.Default.SampleBatch, CancellationToken.None);
                if (++tick % 2 == 0)
                {
                    _ = _peer.RequestAsync(Methods.Heartbeat, new HeartbeatParams { Time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                        ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult, ct: ct).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
            Disconnected = true; // the Core dropped this node (e.g. it judged it silent under overload)
        }
    }

    public bool Disconnected { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _peer.CloseAsync(WebSocketCloseStatus.NormalClosure, "done");
        await _loop.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default);
        await _peer.DisposeAsync();
    }
}
