using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// Kernel mode through the real Node: the target is an iperf3 server in its own network namespace
/// behind a veth pair, the Node's nftables rules carry the traffic and count it, and deleting the
/// rule (or stopping and restarting the Node) leaves no stale rules behind.
/// </summary>
[Collection(SerialCollection.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ForwardKernelTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private readonly string _ns = "sxk" + Random.Shared.Next(100_000, 999_999);
    private readonly string _veth = "sxk" + Random.Shared.Next(100_000, 999_999);
    private readonly int _third = Random.Shared.Next(10, 250);
    private Process? _iperf;

    private string HostAddress => $"10.231.{_third}.1";
    private string TargetAddress => $"10.231.{_third}.2";

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        Run("ip", "netns", "add", _ns);
        Run("ip", "link", "add", _veth, "type", "veth", "peer", "name", _veth + "p");
        Run("ip", "link", "set", _veth + "p", "netns", _ns);
        Run("ip", "addr", "add", HostAddress + "/24", "dev", _veth);
        Run("ip", "link", "set", _veth, "up");
        Run("ip", "-n", _ns, "addr", "add", TargetAddress + "/24", "dev", _veth + "p");
        Run("ip", "-n", _ns, "link", "set", _veth + "p", "up");
        Run("ip", "-n", _ns, "link", "set", "lo", "up");
        StartIperfServer();
    }

    /// <summary>A fresh iperf3 server in the target namespace (one that saw its client's Node restart may stay "busy").</summary>
    private void StartIperfServer()
    {
        StopIperfServer();
        _iperf = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", _ns, "iperf3", "-s", "-B", TargetAddress, "-p", "5201"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _iperf.OutputDataReceived += (_, _) => { };
        _iperf.ErrorDataReceived += (_, _) => { };
        _iperf.BeginOutputReadLine();
        _iperf.BeginErrorReadLine();
    }

    private void StopIperfServer()
    {
        try
        {
            _iperf?.Kill(entireProcessTree: true);
            _iperf?.WaitForExit();
        }
        catch (InvalidOperationException)
        {
        }

        _iperf?.Dispose();
        _iperf = null;
    }

    public async Task DisposeAsync()
    {
        StopIperfServer();
        Run("ip", "link", "del", _veth);
        Run("ip", "netns", "del", _ns);
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task A_kernel_rule_forwards_and_counts_and_leaves_nothing_behind()
    {
        using var admin = await _core.ClientAsync();
        await using var node = _core.NewNode("kernel");
        var nodeId = await _core.StartOnlineNodeAsync(node, admin, "forward");
        var port = Random.Shared.Next(40_000, 45_000);

        using var response = await CoreInstance.PostJsonAsync(admin, "/api/v1/forwards", new
        {
            // On the veth alone: the Node then turns forwarding on for that interface only, not for this machine's others.
            name = "kernel", nodeId, protocol = "tcp", listenAddress = HostAddress, listenPort = port, targets = new[] { $"{TargetAddress}:5201" }, mode = "kernel",
        });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        await Eventually.WaitAsync(async () => (await RuleAsync(admin, id)).Status == "active", TimeSpan.FromSeconds(20), "kernel rule active: " + node.Output);
        Run("nft", "list", "table", "ip", "sentinelx").Should().Contain($"sx:{id}");

        // A client on the Node's own machine reaches the target through the Node's DNAT.
        var result = await IperfAsync(HostAddress, port);
        result.Should().BeGreaterThan(10_000_000);
        var counted = await Eventually.ValueAsync(async () =>
        {
            var rule = await RuleAsync(admin, id);
            return rule.Stats.BytesIn >= result ? rule : null;
        }, TimeSpan.FromSeconds(20), "the firewall's counters reach the Core");
        counted.Stats.BytesIn.Should().BeLessThan((long)(result * 1.1), "headers add a few percent at most");
        counted.Stats.ConnectionsTotal.Should().BeGreaterThanOrEqualTo(1);

        // The Node restarts: its rules are rebuilt from scratch and the counters carry on.
        await node.StopAsync();
        await node.StartAsync();
        await Eventually.WaitAsync(() => Task.FromResult(Run("nft", "list", "table", "ip", "sentinelx").Contains($"sx:{id}")),
            TimeSpan.FromSeconds(30), "rules restored after the restart");
        // Measured once the Node has its set from the Core again, not while that push is applied.
        await Eventually.WaitAsync(async () =>
        {
            var nodes = await CoreInstance.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes");
            return nodes.Any(n => n.Id == nodeId && n.Online) && (await RuleAsync(admin, id)).Status == "active";
        }, TimeSpan.FromSeconds(30), "the Node is back and its rule confirmed");
        await Task.Delay(TimeSpan.FromSeconds(2));
        StartIperfServer();
        // A client started at once may reach the namespace before the new server listens.
        await Eventually.WaitAsync(() => Task.FromResult(Run("ip", "netns", "exec", _ns, "ss", "-Hltn", "sport = :5201").Contains("5201")),
            TimeSpan.FromSeconds(10), "iperf3 server listening again");
        var second = await IperfAsync(HostAddress, port);
        await Eventually.WaitAsync(async () => (await RuleAsync(admin, id)).Stats.BytesIn >= result + second, TimeSpan.FromSeconds(30),
            "counters continue across the restart");

        using (var deleted = await admin.DeleteAsync($"/api/v1/forwards/{id}"))
            deleted.StatusCode.Should().Be(HttpStatusCode.NoContent);
        await Eventually.WaitAsync(() => Task.FromResult(!Run("nft", "list", "tables").Contains("sentinelx")), TimeSpan.FromSeconds(15),
            "no rules left after the delete");
    }

    private static async Task<long> IperfAsync(string host, int port) => (await Iperf.RunAsync(port, seconds: 2, host: host)).Bytes;

    private static Task<KernelRuleView> RuleAsync(HttpClient admin, string id) => CoreInstance.GetJsonAsync<KernelRuleView>(admin, $"/api/v1/forwards/{id}");

    private static string Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    public sealed record KernelRuleView(string Id, string Status, string? Error, KernelStats Stats);

    public sealed record KernelStats(long BytesIn, long BytesOut, long ConnectionsTotal);
}
