using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>
/// A hop listener: accepts connections from the previous hop, completes the transport's handshake,
/// challenges the dialer (see <see cref="HopPreamble"/>) and hands the connection to <c>handler</c>
/// only when its answer proves the hop secret for this connection's nonce.
/// Binding errors (a port in use) surface from <see cref="Start"/> as <see cref="SocketException"/>.
/// Anything else (a wrong secret or certificate, garbage, a slow handshake) closes that one
/// connection without a word.
/// </summary>
internal sealed class HopServer : IAsyncDisposable
{
    // Handlers see the stop token at once; this only bounds a handler that ignores it.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan AcceptBackoff = TimeSpan.FromMilliseconds(100);

    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;

    private readonly Socket _listener;
    private readonly string _ruleId;
    private readonly HopListen _listen;
    private readonly HopCredentials? _credentials;
    private readonly Func<Stream, HopPreamble, CancellationToken, Task> _handler;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly ConcurrentDictionary<Task, byte> _serving = new();
    private readonly Task _accepting;

    private HopServer(Socket listener, string ruleId, HopListen listen, HopCredentials? credentials, Func<Stream, HopPreamble, CancellationToken, Task> handler, TimeProvider time)
    {
        _time = time;
        _listener = listener;
        _ruleId = ruleId;
        _listen = listen;
        _credentials = credentials;
        _handler = handler;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>The port the listener is bound to (the one the kernel chose when the rule named 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <param name="time">The clock the handshake timeout runs on; tests pass a fake one.</param>
    public static HopServer Start(string ruleId, HopListen listen, HopCredentials? credentials, Func<Stream, HopPreamble, CancellationToken, Task> handler,
        TimeProvider? time = null)
    {
        if (!HopTransports.IsKnown(listen.Transport))
            throw new NotSupportedException($"hop transport {listen.Transport} is not available in this build");
        if (HopTransports.UsesTls(listen.Transport) && credentials is null)
            throw new ArgumentException($"a {listen.Transport} hop listener needs this node's hop certificate", nameof(credentials));

        var address = IPAddress.Parse(listen.Address);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR alone, so a restarted listener binds despite TIME_WAIT leftovers. .NET's
            // ReuseAddress option also sets SO_REUSEPORT on Linux, which would let a second listener
            // share the port instead of failing with "address in use".
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(address, listen.Port));
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new HopServer(socket, ruleId, listen, credentials, handler, time ?? TimeProvider.System);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                // Out of file descriptors or memory: accepting again at once would only spin.
                await Task.Delay(AcceptBackoff, CancellationToken.None);
                continue;
            }

            var serving = ServeAsync(client);
            _serving.TryAdd(serving, 0);
            _ = serving.ContinueWith(done => _serving.TryRemove(done, out _), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        _open.TryAdd(client, 0);
#pragma warning disable CA2000 // disposed in the finally below, as whichever stream ends up layered on it
        var plain = new NetworkStream(client, ownsSocket: true);
#pragma warning restore CA2000
        Stream stream = plain;
        try
        {
            HopPreamble? preamble;
            try
            {
                client.NoDelay = true;
                using var expiry = new CancellationTokenSource(HopTransport.HandshakeTimeout, _time);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, expiry.Token);
                var opened = await OpenAsync(plain, timeout.Token);
                if (opened is null) return;
                stream = opened;
                preamble = await HopPreamble.AcceptAsync(stream, _ruleId, _listen.Secret, timeout.Token);
            }
            catch (Exception)
            {
                // Whatever a stranger sends (garbage, a plain client on a TLS port, a bad
                // certificate, silence) ends here, for this connection only.
                return;
            }

            if (preamble is null) return;
            await _handler(stream, preamble, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException
            or AuthenticationException or WebSocketException)
        {
        }
        finally
        {
            _open.TryRemove(client, out _);
            await stream.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs the transport's handshake over the accepted connection. On success the returned stream
    /// owns <paramref name="plain"/>; null (or an exception) means the connection is to be dropped,
    /// and whatever was layered on it here has been released.
    /// </summary>
    private async Task<Stream?> OpenAsync(NetworkStream plain, CancellationToken ct)
    {
        Stream stream = plain;
        try
        {
            if (HopTransports.UsesTls(_listen.Transport))
            {
#pragma warning disable CA2000 // returned to the caller, which owns it; on failure the catch below disposes it
                var tls = new SslStream(plain, leaveInnerStreamOpen: false);
#pragma warning restore CA2000
                stream = tls;
                await tls.AuthenticateAsServerAsync(HopTls.ServerOptions(_listen, _credentials!), ct);
            }

            if (HopTransports.UsesWebSocket(_listen.Transport))
            {
                var upgraded = await HopWebSocketHandshake.AcceptAsync(stream, _listen.Path, ct);
                if (upgraded is null)
                {
                    if (stream != plain) await stream.DisposeAsync();
                    return null;
                }

                stream = upgraded;
            }

            return stream;
        }
        catch
        {
            if (stream != plain) await stream.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        // Closing the sockets fails every pending read and write at once, whatever layer they are in.
        foreach (var client in _open.Keys) client.Dispose();
        try
        {
            await Task.WhenAll(_serving.Keys).WaitAsync(DrainTimeout);
        }
        catch (TimeoutException)
        {
        }

        _stop.Dispose();
    }
}
