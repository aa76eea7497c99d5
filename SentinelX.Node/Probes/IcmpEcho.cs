using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SentinelX.Node.Probes;

/// <summary>
/// An ICMP socket: the unprivileged datagram kind ("ping socket") where <c>net.ipv4.ping_group_range</c>
/// covers the Node's group, else a raw socket (root or CAP_NET_RAW). With a datagram socket the kernel
/// sets the echo identifier and hands this socket only the replies to it; a raw socket sees every
/// ICMP packet of the host, so replies are matched by identifier, sequence and a random cookie.
/// </summary>
internal sealed partial class IcmpSocket : IDisposable
{
    private IcmpSocket(Socket socket, bool raw)
    {
        Socket = socket;
        Raw = raw;
        // The first SIOCGSTAMP turns on receive timestamps for the socket, so the reply's comes from the kernel.
        _ = TryKernelTimestamp(out _);
    }

    public Socket Socket { get; }

    public bool Raw { get; }

    public static IcmpSocket Open(AddressFamily family)
    {
        var protocol = family == AddressFamily.InterNetworkV6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp;
        try
        {
            return new IcmpSocket(new Socket(family, SocketType.Dgram, protocol), raw: false);
        }
        catch (SocketException)
        {
            // Not allowed for this group (the default range "1 0" allows nobody): try the raw kind.
        }

        try
        {
            return new IcmpSocket(new Socket(family, SocketType.Raw, protocol), raw: true);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AccessDenied or SocketError.OperationNotSupported or SocketError.ProtocolNotSupported)
        {
            throw new SocketException((int)SocketError.AccessDenied,
                "ICMP needs root, CAP_NET_RAW, or net.ipv4.ping_group_range covering the Node's group");
        }
    }

    /// <summary>When the kernel received the last packet this socket read (SIOCGSTAMP), in the real-time clock.</summary>
    public unsafe bool TryKernelTimestamp(out DateTime received)
    {
        TimeVal value;
        if (ioctl((int)Socket.Handle, SiocGStamp, &value) != 0 || value.Seconds <= 0)
        {
            received = default;
            return false;
        }

        received = DateTime.UnixEpoch.AddTicks(value.Seconds * TimeSpan.TicksPerSecond + value.Microseconds * TimeSpan.TicksPerMicrosecond);
        return true;
    }

    public void Dispose() => Socket.Dispose();

    private const nuint SiocGStamp = 0x8906;

    /// <summary>struct timeval on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int ioctl(int fd, nuint request, TimeVal* value);
}

/// <summary>One ICMP echo request and its reply; the round trip is the probe's latency.</summary>
internal static class IcmpEcho
{
    private const int HeaderSize = 8;
    private const int CookieSize = 8;

    /// <summary>The payload: the cookie, then zeros up to the 16 bytes ping sends by default (with its timestamp).</summary>
    private const int PayloadSize = 16;

    private static int s_sequence;

    public static async Task<ProbeOutcome> CheckAsync(string host, CancellationToken ct)
    {
        var address = await ProbeChecks.ResolveAsync(host, ct);
        using var socket = IcmpSocket.Open(address.AddressFamily);
        return new ProbeOutcome(true, await EchoAsync(socket, address, ct));
    }

    /// <summary>
    /// Sends one echo request to <paramref name="target"/> and waits for its reply; returns the round
    /// trip in milliseconds. The reply's time is the kernel's receive timestamp where it has one (as
    /// ping uses), so a busy thread pool does not add to the figure. Cancelled when no reply comes.
    /// </summary>
    public static async Task<double> EchoAsync(IcmpSocket icmp, IPAddress target, CancellationToken ct)
    {
        var v6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        var packet = new byte[HeaderSize + PayloadSize];
        Native.FillRandom(packet.AsSpan(4, 2)); // identifier (a datagram socket's kernel replaces it)
        Native.FillRandom(packet.AsSpan(HeaderSize, CookieSize));
        var identifier = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(4));
        var sequence = (ushort)Interlocked.Increment(ref s_sequence);
        packet[0] = v6 ? (byte)128 : (byte)8; // echo request
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), sequence);
        // ICMPv6 checksums cover a pseudo-header; the kernel fills them in for every ICMPv6 socket.
        if (!v6) BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Checksum(packet));

        var buffer = new byte[1500];
        EndPoint any = new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        // In this order the kernel's figure (receive stamp - sentAt) can never exceed the stopwatch's.
        var start = Stopwatch.GetTimestamp();
        var sentAt = DateTime.UtcNow;
        await icmp.Socket.SendToAsync(packet, SocketFlags.None, new IPEndPoint(target, 0), ct);
        while (true)
        {
            var received = await icmp.Socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (!((IPEndPoint)received.RemoteEndPoint).Address.Equals(target)) continue;
            var reply = buffer.AsSpan(0, received.ReceivedBytes);
            // A raw IPv4 socket hands over the IP header too; ICMPv6 and datagram sockets do not.
            if (icmp.Raw && !v6)
            {
                var header = (reply[0] & 0x0F) * 4;
                if (header < 20 || reply.Length < header) continue;
                reply = reply[header..];
            }

            if (reply.Length < HeaderSize + CookieSize || reply[0] != (v6 ? 129 : 0) || reply[1] != 0) continue;
            if (BinaryPrimitives.ReadUInt16BigEndian(reply[6..]) != sequence) continue;
            if (icmp.Raw && BinaryPrimitives.ReadUInt16BigEndian(reply[4..]) != identifier) continue;
            if (!reply.Slice(HeaderSize, CookieSize).SequenceEqual(packet.AsSpan(HeaderSize, CookieSize))) continue;

            // The kernel's stamp is trusted only when it falls inside what the stopwatch saw (a clock step would not).
            if (icmp.TryKernelTimestamp(out var at) && at - sentAt is { } kernel && kernel > TimeSpan.Zero && kernel <= elapsed)
                return kernel.TotalMilliseconds;
            return elapsed.TotalMilliseconds;
        }
    }

    /// <summary>The Internet checksum (RFC 1071) over the ICMP message, with its checksum field zero.</summary>
    internal static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (data.Length % 2 == 1) sum += (uint)data[^1] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
