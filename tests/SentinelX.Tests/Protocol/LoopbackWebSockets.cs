using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace SentinelX.Tests.Protocol;

/// <summary>Two ends of a real WebSocket over a loopback TCP connection, without an HTTP server.</summary>
public static class LoopbackWebSockets
{
    public static async Task<(WebSocket Server, WebSocket Client)> CreatePairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
#pragma warning disable CA2000 // the client's WebSocket owns the connection through its stream
        var client = new TcpClient();
#pragma warning restore CA2000
        var accept = listener.AcceptTcpClientAsync();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await accept;
        listener.Stop();
        return (WebSocket.CreateFromStream(server.GetStream(), new WebSocketCreationOptions { IsServer = true }),
            WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false }));
    }
}
