using System.Net.Sockets;

namespace SentinelX.Node.Forwarding;

/// <summary>Turns the errors users cause (a port in use, an address not on this server) into the exact status text the UI shows.</summary>
internal static class ForwardErrors
{
    public static string Bind(SocketException ex, string address, int port) => ex.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"port {port} already in use",
        SocketError.AccessDenied => $"permission denied for port {port} (needs root or CAP_NET_BIND_SERVICE)",
        SocketError.AddressNotAvailable => $"address {address} is not on this server",
        _ => $"cannot listen on {address}:{port}: {ex.Message}",
    };
}
