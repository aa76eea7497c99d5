using System.Net;
using System.Net.Sockets;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>
/// Dials the next hop of a relay chain and returns the connected stream, handshakes done; the
/// caller writes the <see cref="HopPreamble"/> and then the carried bytes.
/// </summary>
internal static class HopTransport
{
    public static async Task<Stream> DialAsync(HopDial next, HopCredentials? credentials, CancellationToken ct)
    {
        if (next.Transport != HopTransports.Tcp)
            throw new NotSupportedException($"hop transport {next.Transport} is not available in this build");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(next.Host, next.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A hop listener: accepts connections from the previous hop, completes the transport's handshake,
/// reads the preamble and hands the connection to <c>handler</c> only when it is admitted.
/// Binding errors (a port in use) surface from <see cref="Start"/> as <see cref="SocketException"/>.
/// </summary>
internal sealed class HopServer : IAsyncDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly string _ruleId;
    private readonly HopListen _listen;
    private readonly Func<Stream, HopPreamble, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private HopServer(Socket listener, string ruleId, HopListen listen, Func<Stream, HopPreamble, CancellationToken, Task> handler)
    {
        _listener = listener;
        _ruleId = ruleId;
        _listen = listen;
        _handler = handler;
        _accepting = AcceptLoopAsync();
    }

    public static HopServer Start(string ruleId, HopListen listen, HopCredentials? credentials, Func<Stream, HopPreamble, CancellationToken, Task> handler)
    {
        if (listen.Transport != HopTransports.Tcp)
            throw new NotSupportedException($"hop transport {listen.Transport} is not available in this build");

        var address = IPAddress.Parse(listen.Address);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, listen.Port));
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new HopServer(socket, ruleId, listen, handler);
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
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        client.NoDelay = true;
        var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            HopPreamble? preamble;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                timeout.CancelAfter(HandshakeTimeout);
                preamble = await HopPreamble.ReadAsync(stream, timeout.Token);
            }

            if (preamble is null || !preamble.Admits(_ruleId, _listen.Secret)) return;
            await _handler(stream, preamble, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            await stream.DisposeAsync();
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

        _stop.Dispose();
    }
}
