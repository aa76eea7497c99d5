using System.Net;

namespace SentinelX.Shared.Metrics;

/// <summary>Which addresses count as public: the Node lists them, the Core adds the one it sees a Node connect from.</summary>
public static class AddressScope
{
    /// <summary>
    /// True for addresses the public internet can route to: not private, loopback, link-local,
    /// CGNAT (RFC 6598), documentation, benchmarking, multicast or reserved ranges (RFC 6890).
    /// </summary>
    public static bool IsGloballyRoutable(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out var length)) return false;
        if (length == 4)
        {
            return !(b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && (b[1] & 0xC0) == 64)          // 100.64.0.0/10
                || (b[0] == 169 && b[1] == 254)                  // 169.254.0.0/16
                || (b[0] == 172 && (b[1] & 0xF0) == 16)          // 172.16.0.0/12
                || (b[0] == 192 && b[1] == 168)                  // 192.168.0.0/16
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)  // 192.0.0.0/24, 192.0.2.0/24
                || (b[0] == 198 && (b[1] & 0xFE) == 18)          // 198.18.0.0/15
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)    // 198.51.100.0/24
                || (b[0] == 203 && b[1] == 0 && b[2] == 113));   // 203.0.113.0/24
        }

        // IPv6: only global unicast 2000::/3 is routable, minus documentation 2001:db8::/32.
        if ((b[0] & 0xE0) != 0x20) return false;
        return !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8);
    }
}
