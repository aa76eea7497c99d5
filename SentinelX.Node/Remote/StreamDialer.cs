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
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public async Task<WebSocket> DialAsync(string streamId, CancellationToken ct)
    {
        KeyValuePair<string, string>[] headers =
        [
            new(ProtocolInfo.NodeIdHeader, nodeId),
            new("Authorization", "Bearer " + secret),
            new(ProtocolInfo.ProtocolHeader, ProtocolInfo.Version.ToString(CultureInfo.InvariantCulture)),
            new(ProtocolInfo.StreamHeader, streamId),
        ];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            return await CoreWebSocket.ConnectAsync(Enrollment.Endpoint(core, ProtocolInfo.StreamPath, webSocket: true), headers, KeepAlive, webProxy: null, timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            // The features that dial treat a stream that could not open like one that broke.
            throw new WebSocketException(WebSocketError.Faulted, $"cannot open stream {streamId}: {ex.Message}", ex);
        }
    }
}
