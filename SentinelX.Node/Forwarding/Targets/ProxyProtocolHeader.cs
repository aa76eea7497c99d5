using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SentinelX.Node.Forwarding.Targets;

/// <summary>
/// The PROXY protocol header sent to the target before any client byte, so the target (haproxy
/// <c>accept-proxy</c>, nginx <c>proxy_protocol</c>, …) sees the real client address. Version 1 is
/// the text line; version 2 the binary form (the only one that can say UDP).
/// </summary>
internal static class ProxyProtocolHeader
{
    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The header for a connection from <paramref name="client"/> to <paramref name="destination"/> (the address the client reached).</summary>
    public static byte[] Build(int version, IPEndPoint client, IPEndPoint destination, bool udp = false)
    {
        var source = Normalize(client);
        var target = Normalize(destination);

        // Mixed families cannot be described; say so honestly with UNKNOWN / LOCAL.
        var sameFamily = source.AddressFamily == target.AddressFamily;
        return version switch
        {
            1 => BuildV1(source, target, sameFamily),
            2 => BuildV2(source, target, sameFamily, udp),
            _ => throw new ArgumentOutOfRangeException(nameof(version), version, "PROXY protocol version is 1 or 2"),
        };
    }

    private static byte[] BuildV1(IPEndPoint source, IPEndPoint target, bool sameFamily)
    {
        if (!sameFamily) return "PROXY UNKNOWN\r\n"u8.ToArray();
        var family = source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes($"PROXY {family} {source.Address} {target.Address} {source.Port} {target.Port}\r\n");
    }

    private static byte[] BuildV2(IPEndPoint source, IPEndPoint target, bool sameFamily, bool udp)
    {
        if (!sameFamily)
        {
            var local = new byte[16];
            V2Signature.CopyTo(local, 0);
            local[12] = 0x20; // version 2, LOCAL
            return local;
        }

        var v4 = source.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = v4 ? 12 : 36;
        var header = new byte[16 + addressLength];
        V2Signature.CopyTo(header, 0);
        header[12] = 0x21; // version 2, PROXY
        header[13] = (byte)((v4 ? 0x10 : 0x20) | (udp ? 0x02 : 0x01));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)addressLength);
        var span = header.AsSpan(16);
        var size = v4 ? 4 : 16;
        source.Address.TryWriteBytes(span, out _);
        target.Address.TryWriteBytes(span[size..], out _);
        BinaryPrimitives.WriteUInt16BigEndian(span[(2 * size)..], (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(span[(2 * size + 2)..], (ushort)target.Port);
        return header;
    }

    private static IPEndPoint Normalize(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
