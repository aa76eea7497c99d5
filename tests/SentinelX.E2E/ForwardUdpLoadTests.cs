using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>The real Node under 2,000 UDP clients on one rule: it stays up, caps its sessions and stays small.</summary>
[Collection(SerialCollection.Name)]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ForwardUdpLoadTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private HttpClient _admin = null!;
    private NodeInstance _node = null!;

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        _admin = await _core.ClientAsync();
        _node = _core.NewNode("udp-load");
        _node.ExtraArgs.AddRange(["--allow", "forward", "--forward-targets-allow", "127.0.0.0/8"]);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _node.DisposeAsync();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task Two_thousand_udp_client_ports_on_one_rule_leave_the_node_alive_capped_and_small()
    {
        var nodeId = await _core.StartOnlineNodeAsync(_node, _admin, "forward");
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var echoing = Task.Run(async () =>
        {
            var buffer = new byte[2048];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!stop.IsCancellationRequested)
            {
                var got = await echo.ReceiveFromAsync(buffer, SocketFlags.None, any, stop.Token);
                await echo.SendToAsync(buffer.AsMemory(0, got.ReceivedBytes), SocketFlags.None, got.RemoteEndPoint, stop.Token);
            }
        });

        var port = FreePorts.Udp();
        using (var response = await CoreInstance.PostJsonAsync(_admin, "/api/v1/forwards", new
        {
            name = "udp-load", nodeId, protocol = "udp", listenAddress = "127.0.0.1", listenPort = port,
            targets = new[] { $"127.0.0.1:{((IPEndPoint)echo.LocalEndPoint!).Port}" }, udpIdleSeconds = 600,
        }))
        {
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.Created, text);
            var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
            await Eventually.WaitAsync(async () => (await RuleAsync(id)).GetProperty("status").GetString() == "active", TimeSpan.FromSeconds(20), "rule active");

            // 8 loopback addresses x 250 ports (under the per-source cap of 256): the rule cap of 1,024 binds.
            var clients = new List<Socket>();
            try
            {
                for (var i = 0; i < 2000; i++)
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    clients.Add(client);
                    client.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{2 + i % 8}"), 0));
                }

                var payload = new byte[200];
                for (var round = 0; round < 3; round++)
                {
                    for (var i = 0; i < clients.Count; i++)
                    {
                        await clients[i].SendToAsync(payload, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, port));
                        if (i % 50 == 49) await Task.Delay(10);
                    }
                }

                var active = 0;
                await Eventually.WaitAsync(async () =>
                {
                    active = (await RuleAsync(id)).GetProperty("stats").GetProperty("connectionsActive").GetInt32();
                    return active == 1024;
                }, TimeSpan.FromSeconds(30), "1,024 sessions reported", () => $"active {active}\n{_node.Output}");
            }
            finally
            {
                foreach (var client in clients) client.Dispose();
            }
        }

        _node.Process.HasExited.Should().BeFalse("the Node survives 2,000 UDP clients: " + _node.Output);
        var rssMb = ResidentMegabytes(_node.Process.Pid);
        rssMb.Should().BeLessThan(96, "the Node's GC heap is capped at 32 MB; 1,024 idle sessions must not push it anywhere near");
        _node.Output.Should().Contain("UDP full at", "the Node says that a cap turns clients away");

        await stop.CancelAsync();
        await Task.WhenAny(echoing, Task.Delay(1000));
    }

    private async Task<JsonElement> RuleAsync(string id) => await CoreInstance.GetJsonAsync<JsonElement>(_admin, $"/api/v1/forwards/{id}");

    private static int ResidentMegabytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}
