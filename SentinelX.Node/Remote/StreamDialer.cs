using System.Globalization;
using System.Net.WebSockets;
using SentinelX.Node.Connection;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// Opens the data streams the Core asks for: a second WebSocket to <see cref="ProtocolInfo.StreamPath"/>
/// with this Node's id and secret and the stream id from the request. The Node always dials out, so
/// streams work behind NAT exactly like the control connection.
/// </summary>
internal sealed class StreamDialer(Uri core, string nodeId, string secret)
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    public async Task<WebSocket> DialAsync(string streamId, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader(ProtocolInfo.NodeIdHeader, nodeId);
        socket.Options.SetRequestHeader("Authorization", "Bearer " + secret);
        socket.Options.SetRequestHeader(ProtocolInfo.ProtocolHeader, ProtocolInfo.Version.ToString(CultureInfo.InvariantCulture));
        socket.Options.SetRequestHeader(ProtocolInfo.StreamHeader, streamId);
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(Enrollment.Endpoint(core, ProtocolInfo.StreamPath, webSocket: true), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
