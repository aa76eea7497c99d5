using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using SentinelX.Node.Forwarding;
using SentinelX.Node.Forwarding.Copy;
using Xunit;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding;

/// <summary>The pooled copier on real sockets: idle connections give their buffers back; TLS reads are still gathered.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class StreamCopierTests : IAsyncLifetime
{
    private readonly CountingPool _pool = new();
    private readonly List<IDisposable> _owned = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _copies = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var item in _owned) item.Dispose();
        await Task.WhenAll(_copies).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    [Fact]
    public async Task Idle_plain_connections_hold_no_buffer_after_carrying_data()
    {
        var pairs = new List<(Stream Client, Stream Server)>();
        for (var i = 0; i < 50; i++) pairs.Add(await RelayAsync(tls: false));

        foreach (var (client, server) in pairs)
        {
            await ExchangeAsync(client, server, 100_000);
        }

        // Every copy is still running (the connections are open), and each waits with a zero-byte read.
        _copies.Should().OnlyContain(c => !c.IsCompleted);
        (await EventuallyAsync(() => Task.FromResult(_pool.Outstanding == 0), TimeSpan.FromSeconds(10)))
            .Should().BeTrue($"100 idle copy directions hold no rented buffer (held: {_pool.Outstanding})");
        _pool.Rented.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Tls_hops_are_gathered_hash_checked_and_give_buffers_back_when_idle()
    {
        var pairs = new List<(Stream Client, Stream Server)>();
        for (var i = 0; i < 4; i++) pairs.Add(await RelayAsync(tls: true));

        foreach (var (client, server) in pairs)
        {
            await ExchangeAsync(client, server, 4 * 1024 * 1024);
        }

        _copies.Should().OnlyContain(c => !c.IsCompleted);
        (await EventuallyAsync(() => Task.FromResult(_pool.Outstanding == 0), TimeSpan.FromSeconds(10)))
            .Should().BeTrue($"idle TLS copies hold no rented buffer (held: {_pool.Outstanding})");
        _pool.LargestWrite.Should().BeGreaterThan(16 * 1024, "records already there are gathered into one write");
    }

    /// <summary>
    /// client ⇄ [copier] ⇄ server: a plain socket on the client side (its writes noted) and, on the
    /// server side, a plain socket or a TLS stream (as a tls hop is); returns the two far ends.
    /// </summary>
    private async Task<(Stream Client, Stream Server)> RelayAsync(bool tls)
    {
        var (client, relayIn) = await SocketPairAsync();
        var (relayOut, server) = await SocketPairAsync();
        Stream inner = new CountingWrites(relayIn, _pool);
        Stream outer = new NetworkStream(relayOut, ownsSocket: true);
        Stream far = new NetworkStream(server, ownsSocket: true);
        if (tls)
        {
            var serverTls = new SslStream(far);
            var clientTls = new SslStream(outer);
            var accept = serverTls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate.Value });
            await clientTls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "hop.test", RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == Certificate.Value.Thumbprint });
            await accept;
            (outer, far) = (clientTls, serverTls);
        }

        _owned.Add(inner);
        _owned.Add(outer);
        _owned.Add(far);
        var clientStream = new NetworkStream(client, ownsSocket: true);
        _owned.Add(clientStream);
        _copies.Add(StreamCopier.RunAsync(inner, outer, new RuleCounters(null), _stop.Token, _pool));
        return (clientStream, far);
    }

    private static async Task<(Socket, Socket)> SocketPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await a.ConnectAsync(listener.LocalEndPoint!);
        var b = await listener.AcceptAsync();
        return (a, b);
    }

    /// <summary>Sends <paramref name="size"/> random bytes each way and checks both arrive intact.</summary>
    private static async Task ExchangeAsync(Stream client, Stream server, int size)
    {
        var up = RandomNumberGenerator.GetBytes(size);
        var down = RandomNumberGenerator.GetBytes(size);
        var sending = Task.WhenAll(client.WriteAsync(up).AsTask(), server.WriteAsync(down).AsTask());
        var atServer = ReadExactlyAsync(server, size);
        var atClient = ReadExactlyAsync(client, size);
        await sending;
        SHA256.HashData(await atServer).Should().Equal(SHA256.HashData(up));
        SHA256.HashData(await atClient).Should().Equal(SHA256.HashData(down));
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int size)
    {
        var buffer = new byte[size];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.ReadExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    private static readonly Lazy<X509Certificate2> Certificate = new(() =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=hop.test", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    });

    /// <summary>The shared pool, counting what is rented and not yet returned.</summary>
    private sealed class CountingPool : ArrayPool<byte>
    {
        private int _outstanding;
        private int _rented;
        private int _largestWrite;

        public int Outstanding => Volatile.Read(ref _outstanding);
        public int Rented => Volatile.Read(ref _rented);
        public int LargestWrite => Volatile.Read(ref _largestWrite);

        public override byte[] Rent(int minimumLength)
        {
            Interlocked.Increment(ref _outstanding);
            Interlocked.Increment(ref _rented);
            return Shared.Rent(minimumLength);
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Interlocked.Decrement(ref _outstanding);
            Shared.Return(array, clearArray);
        }

        public void Wrote(int count)
        {
            var largest = Volatile.Read(ref _largestWrite);
            while (count > largest && Interlocked.CompareExchange(ref _largestWrite, count, largest) != largest) largest = Volatile.Read(ref _largestWrite);
        }
    }

    /// <summary>A socket stream that notes its largest single write (to see gathering).</summary>
    private sealed class CountingWrites(Socket socket, CountingPool pool) : NetworkStream(socket, ownsSocket: true)
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            pool.Wrote(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}
