using System.Net.Security;
using System.Net.Sockets;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>
/// Dials the next hop of a relay chain and returns the connected stream, handshakes done; the
/// caller writes the <see cref="HopPreamble"/> and then the carried bytes.
/// </summary>
internal static class HopTransport
{
    /// <summary>Connecting plus the TLS and WebSocket handshakes; the listener allows as long for its side.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="TimeoutException"/>, <see cref="SocketException"/>, <see cref="IOException"/> or an authentication error when the hop cannot be reached.</summary>
    public static async Task<Stream> DialAsync(HopDial next, HopCredentials? credentials, CancellationToken ct)
    {
        if (!HopTransports.IsKnown(next.Transport))
            throw new NotSupportedException($"hop transport {next.Transport} is not available in this build");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(HandshakeTimeout);
        // Each layer owns the one beneath it and the outermost goes to the caller; on failure the catch
        // below disposes whichever layer was reached.
#pragma warning disable CA2000
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(next.Host, next.Port, timeout.Token);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (HopTransports.UsesTls(next.Transport))
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(HopTls.ClientOptions(next, credentials), timeout.Token);
            }
#pragma warning restore CA2000

            if (HopTransports.UsesWebSocket(next.Transport))
                stream = await HopWebSocketHandshake.ConnectAsync(stream, next, timeout.Token);

            return stream;
        }
        catch (Exception ex)
        {
            if (stream is null) socket.Dispose();
            else await stream.DisposeAsync();
            if (ex is OperationCanceledException && !ct.IsCancellationRequested)
                throw new TimeoutException($"hop {next.Host}:{next.Port} did not complete the {next.Transport} handshake within {HandshakeTimeout.TotalSeconds:0} s", ex);
            throw;
        }
    }
}
