using FluentAssertions;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SentinelX.Node.Config;
using SentinelX.Node.Forwarding;
using SentinelX.Shared.Protocol;

namespace SentinelX.Tests.Forwarding;

/// <summary>Real sockets on 127.0.0.1 for the forwarding tests: free ports, engines on temp data dirs, echo and sink servers.</summary>
internal static class ForwardTestKit
{
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A port free for both TCP and UDP.</summary>
    public static int FreePort()
    {
        while (true)
        {
            var port = FreeTcpPort();
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sx-forward-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// What a Node's owner writes to let forwards reach services on the Node itself
    /// (<c>"forwardTargets": {"allow": ["127.0.0.0/8", "::1"]}</c>): these tests' targets all listen on loopback.
    /// </summary>
    public static readonly ForwardTargetRules AllowLoopback = new() { Allow = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")] };

    public static async Task<ForwardEngine> StartEngineAsync(string dataDir, bool allowForward = true, ForwardTargetRules? targets = null)
    {
        var allow = Capabilities.All.Where(c => allowForward || c != Capabilities.Forward);
        var engine = new ForwardEngine(new NodeSettings
        {
            Core = new Uri("http://127.0.0.1:1"),
            DataDir = dataDir,
            Allow = new HashSet<string>(allow, StringComparer.Ordinal),
            ForwardTargets = targets ?? AllowLoopback,
        });
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    public static ForwardPlacement Direct(string id, int listenPort, params string[] targets) => new()
    {
        RuleId = id,
        Name = id,
        Protocol = ForwardProtocols.Tcp,
        Listen = new ForwardListen { Address = "127.0.0.1", Port = listenPort },
        Targets = targets,
    };

    public static async Task<ForwardSyncResult> ApplyAsync(ForwardEngine engine, params ForwardPlacement[] placements) =>
        await engine.ApplyAsync(new ForwardSyncParams { Placements = placements }, CancellationToken.None);

    /// <summary>Sends <paramref name="data"/> through the forward, half-closes, and returns the SHA-256 of what came back (an echo server sends it all back).</summary>
    public static async Task<byte[]> EchoHashAsync(int port, byte[] data)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var send = Task.Run(async () =>
        {
            await stream.WriteAsync(data);
            client.Client.Shutdown(SocketShutdown.Send);
        });
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[128 * 1024];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }

        await send;
        total.Should().Be(data.Length);
        return sha.GetHashAndReset();
    }

    /// <summary>
    /// Measures the rate (Mbit/s) at which <paramref name="received"/> grows, one
    /// <paramref name="window"/> at a time, until a window lands in [<paramref name="low"/>,
    /// <paramref name="high"/>] or five have been measured; returns every window's rate, the
    /// deciding one last. A limit is broken by a window over <paramref name="high"/>, which ends the
    /// measuring at once, unless the window before it was starved. A window under <paramref name="low"/> is
    /// measured again: on two cores shared with other test processes the process is sometimes not
    /// scheduled for a good part of a second, and nothing is sent then, limited or not, so such a window
    /// measures the machine; the next one then also carries the catch-up the bucket allows on purpose
    /// (up to its burst, 0.2 s of the rate), so it is measured again too. A limiter that really is too
    /// slow is too slow in all five, and one that is too fast is too fast in a window after a full one.
    /// </summary>
    public static async Task<IReadOnlyList<double>> MeasureMbpsAsync(Func<long> received, TimeSpan window, double low, double high)
    {
        var rates = new List<double>();
        while (rates.Count < 5)
        {
            var start = received();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(window);
            var mbps = (received() - start) * 8 / clock.Elapsed.TotalSeconds / 1_000_000;
            var afterStarved = rates.Count > 0 && rates[^1] < low;
            rates.Add(Math.Round(mbps, 2));
            if (mbps >= low && (mbps <= high || !afterStarved)) break;
        }

        return rates;
    }

    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return true;
            await Task.Delay(50);
        }

        return await condition();
    }
}

/// <summary>A TCP server on 127.0.0.1: echoes everything back, or just counts it (a sink), and remembers how many connections it saw.</summary>
internal sealed class TcpTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly bool _echo;
    private readonly List<TcpClient> _clients = [];
    private int _connections;
    private long _received;

    public TcpTestServer(bool echo = true, int port = 0)
    {
        _echo = echo;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";
    public int Connections => Volatile.Read(ref _connections);
    public long Received => Interlocked.Read(ref _received);

    /// <summary>The first bytes of each connection, up to 256 (to see a PROXY protocol header).</summary>
    public List<byte[]> Heads { get; } = [];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            lock (_clients) _clients.Add(client);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var buffer = new byte[128 * 1024];
        var stream = client.GetStream();
        var first = true;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
            {
                if (first)
                {
                    lock (Heads) Heads.Add(buffer.AsSpan(0, Math.Min(n, 256)).ToArray());
                    first = false;
                }

                Interlocked.Add(ref _received, n);
                if (_echo) await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }

            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var client in _clients) client.Dispose();
        }

        try
        {
            await _accepting;
        }
        catch (Exception)
        {
        }
    }
}

/// <summary>A UDP echo server on 127.0.0.1.</summary>
internal sealed class UdpEchoServer : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();

    public UdpEchoServer()
    {
        Port = ((IPEndPoint)_udp.Client.LocalEndPoint!).Port;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var received = await _udp.ReceiveAsync(_stop.Token);
                    await _udp.SendAsync(received.Buffer, received.RemoteEndPoint, _stop.Token);
                }
                catch (Exception)
                {
                    if (_stop.IsCancellationRequested) return;
                }
            }
        });
    }

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
    }
}
