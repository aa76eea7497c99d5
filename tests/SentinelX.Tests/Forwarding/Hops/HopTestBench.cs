using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Shared.Protocol;

namespace SentinelX.Tests.Forwarding.Hops;

/// <summary>One hop listener on loopback with an echo handler, and the dial side that matches it.</summary>
internal sealed class HopTestBench : IAsyncDisposable
{
    public const string RuleId = "rule-7";
    public const string EntryNode = "entry";
    public const string ExitNode = "exit";

    private int _admitted;

    private HopTestBench(string transport, string path, HopCredentials? exitCredentials, TimeProvider? time)
    {
        Transport = transport;
        // Port 0: the kernel picks a free port at bind time. Probing for one first and binding it
        // later races the other test classes' listeners and outgoing connections.
        var listen = new HopListen
        {
            Transport = transport,
            Address = "127.0.0.1",
            Port = 0,
            Path = path,
            Secret = HopPreamble.NewSecret(),
            PeerNodeId = EntryNode,
        };
        Server = HopServer.Start(RuleId, listen, exitCredentials, EchoAsync, time);
        Listen = listen with { Port = Server.Port };
    }

    public string Transport { get; }
    public HopListen Listen { get; }
    public HopServer Server { get; }

    /// <summary>How many connections the listener admitted to its handler.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    public static HopTestBench Start(string transport, HopCredentials? exitCredentials, string path = "/sx-hop", TimeProvider? time = null) =>
        new(transport, path, exitCredentials, time);

    public HopDial Dial(string? hostHeader = null, int? port = null, string? path = null) => new()
    {
        Transport = Transport,
        Host = "127.0.0.1",
        Port = port ?? Listen.Port,
        Path = path ?? Listen.Path,
        HostHeader = hostHeader,
        Secret = Listen.Secret,
        PeerNodeId = ExitNode,
    };

    public static HopPreamble Preamble(byte[] secret, string ruleId = RuleId) =>
        new(HopKind.Tcp, ruleId, secret, new IPEndPoint(IPAddress.Parse("203.0.113.9"), 40000));

    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Writes <paramref name="size"/> random bytes after the preamble and reads the echo; returns the two SHA-256 hashes.</summary>
    public static async Task<(byte[] Sent, byte[] Received)> EchoAsync(Stream hop, HopPreamble preamble, int size)
    {
        await preamble.SendAsync(hop, CancellationToken.None);
        return await EchoAsync(hop, size);
    }

    /// <summary>Writes <paramref name="size"/> random bytes on an admitted hop and reads the echo; returns the two SHA-256 hashes.</summary>
    public static async Task<(byte[] Sent, byte[] Received)> EchoAsync(Stream hop, int size)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < size; at += 64 * 1024)
                await hop.WriteAsync(data.AsMemory(at, Math.Min(64 * 1024, size - at)));
        });

        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[128 * 1024];
        var total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (total < size)
        {
            var n = await hop.ReadAsync(buffer, timeout.Token);
            if (n == 0) break;
            received.AppendData(buffer, 0, n);
            total += n;
        }

        await writing;
        return (SHA256.HashData(data), received.GetHashAndReset());
    }

    /// <summary>
    /// Dials, sends <paramref name="preamble"/> and some bytes, and returns true when the listener
    /// dropped the connection: an error or the end of the stream, never an echo.
    /// </summary>
    public static async Task<bool> IsDroppedAsync(Func<Task<Stream>> dial, HopPreamble preamble)
    {
        try
        {
            await using var hop = await dial();
            await preamble.SendAsync(hop, CancellationToken.None);
            await hop.WriteAsync("hello?"u8.ToArray());
            var buffer = new byte[64];
            return await hop.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15)) == 0;
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            return true;
        }
    }

    private async Task EchoAsync(Stream hop, HopPreamble preamble, CancellationToken ct)
    {
        Interlocked.Increment(ref _admitted);
        var buffer = new byte[128 * 1024];
        int n;
        while ((n = await hop.ReadAsync(buffer, ct)) > 0)
            await hop.WriteAsync(buffer.AsMemory(0, n), ct);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
