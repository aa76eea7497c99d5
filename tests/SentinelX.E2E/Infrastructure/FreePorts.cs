using System.Net;
using System.Net.Sockets;

namespace SentinelX.E2E.Infrastructure;

/// <summary>Loopback ports nobody holds right now, for Cores, rules and test servers.</summary>
public static class FreePorts
{
    public static int Tcp() => Take(SocketType.Stream, ProtocolType.Tcp);

    public static int Udp() => Take(SocketType.Dgram, ProtocolType.Udp);

    private static int Take(SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
