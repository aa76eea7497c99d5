using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>One local socket that holds a port: a TCP listener or a bound, unconnected UDP socket.</summary>
internal readonly record struct HeldPort(string Protocol, IPAddress Address, int Port)
{
    public override string ToString() => Protocol == "tcp"
        ? $"tcp listener on {new IPEndPoint(Address, Port)}"
        : $"udp socket bound to {new IPEndPoint(Address, Port)}";
}

/// <summary>
/// Reads <c>/proc/net/tcp</c>, <c>tcp6</c>, <c>udp</c> and <c>udp6</c>: a kernel rule's DNAT would
/// take the traffic of a service already on its port (sshd on 22, say), so such a port is refused.
/// </summary>
internal static class SocketTable
{
    private const string TcpListen = "0A";
    private const string UdpUnconnected = "07";

    /// <summary>The ports held in one of those files' text; <paramref name="protocol"/> is "tcp" or "udp".</summary>
    public static IEnumerable<HeldPort> Parse(string text, string protocol)
    {
        foreach (var line in text.Split('\n'))
        {
            // "  0: 0100007F:1F90 00000000:0000 0A ..." (sl, local, remote, state)
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4 || !fields[0].EndsWith(':')) continue;
            if (fields[3] != (protocol == "tcp" ? TcpListen : UdpUnconnected)) continue;
            if (Endpoint(fields[1]) is { } local) yield return new HeldPort(protocol, local.Address, local.Port);
        }
    }

    /// <summary>Addresses are written as 32-bit words in the kernel's byte order; ports in hex.</summary>
    private static IPEndPoint? Endpoint(string text)
    {
        var colon = text.IndexOf(':');
        if (colon is not (8 or 32) || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.HexNumber, null, out var port) || port > IPEndPoint.MaxPort)
            return null;
        var bytes = new byte[colon / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            if (!uint.TryParse(text.AsSpan(word * 8, 8), NumberStyles.HexNumber, null, out var value)) return null;
            // The hex is the word as the host reads it; on a little-endian host the first address byte is the lowest.
            if (BitConverter.IsLittleEndian) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(word * 4), value);
            else BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(word * 4), value);
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }

    /// <summary>True when a holder on <paramref name="held"/> would see traffic a rule listening on <paramref name="listen"/> (null: every address) takes.</summary>
    public static bool Overlaps(HeldPort held, IPAddress? listen)
    {
        if (listen is null || held.Address.Equals(IPAddress.Any) || held.Address.Equals(IPAddress.IPv6Any)) return true;
        var address = held.Address.IsIPv4MappedToIPv6 ? held.Address.MapToIPv4() : held.Address;
        return address.Equals(listen);
    }
}
