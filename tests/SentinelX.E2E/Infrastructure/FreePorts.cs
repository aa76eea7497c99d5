using System.Net;
using System.Net.Sockets;

namespace SentinelX.E2E.Infrastructure;

/// <summary>Loopback ports nobody holds right now, for Cores, rules and test servers.</summary>
/// <remarks>
/// Test classes run side by side, so a port handed out here must not be handed out again, nor be
/// one the kernel gives to an outgoing connection meanwhile: ports come in turn from a band below
/// the ephemeral range (32768 and up), each checked free by binding it. The band's start depends
/// on the process id, so two test runs on one machine start far apart.
/// </remarks>
public static class FreePorts
{
    private const int First = 20_000;
    private const int Last = 32_000;
    private static int _next = First + Environment.ProcessId % 40 * 300;

    public static int Tcp() => Take(SocketType.Stream, ProtocolType.Tcp);

    public static int Udp() => Take(SocketType.Dgram, ProtocolType.Udp);

    private static int Take(SocketType type, ProtocolType protocol)
    {
        for (var tried = 0; tried < Last - First; tried++)
        {
            var port = First + (Interlocked.Increment(ref _next) - First) % (Last - First);
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
                socket.Bind(new IPEndPoint(IPAddress.Any, port));
                return port;
            }
            catch (SocketException)
            {
                // Held by something else: take the next one.
            }
        }

        throw new InvalidOperationException($"no free port between {First} and {Last}");
    }
}
