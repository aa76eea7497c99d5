using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Forwards;

/// <summary>Parsing of <c>host:port</c> targets and the addresses a Node is known by.</summary>
public static partial class ForwardEndpoints
{
    /// <summary>Splits <c>host:port</c> or <c>[v6]:port</c>; null when it is neither, the port is out of range or the host is not a valid IP or DNS name.</summary>
    public static (string Host, int Port)? ParseTarget(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Trim() != value) return null;
        string host;
        string port;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) return null;
            host = value[1..close];
            port = value[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6) return null;
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon <= 0 || value.IndexOf(':') != colon) return null;
            host = value[..colon];
            port = value[(colon + 1)..];
            if (!IsHostName(host)) return null;
        }

        return int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535
            ? (host, p)
            : null;
    }

    /// <summary>An IPv4/IPv6 literal or a DNS name (labels of letters, digits and inner hyphens, 253 characters at most).</summary>
    public static bool IsHostName(string? host) =>
        !string.IsNullOrEmpty(host) && (IPAddress.TryParse(host, out _) || (host.Length <= 253 && DnsName().IsMatch(host)));

    /// <summary>True for names that always mean "this machine".</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>True for 0.0.0.0 and ::, which listen on every address.</summary>
    public static bool IsWildcard(string address) => address is "0.0.0.0" or "::" or "[::]";

    /// <summary>Every address the Node is known by: where it connects from, its public IPs and its interface addresses.</summary>
    public static IReadOnlySet<string> AddressesOf(NodeState node)
    {
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (Normalize(node.RemoteAddress) is { } remote) set.Add(remote);
        if (node.System is { } system)
        {
            foreach (var ip in system.PublicIps) if (Normalize(ip) is { } a) set.Add(a);
            foreach (var nic in system.Interfaces)
                foreach (var ip in nic.Addresses) if (Normalize(ip) is { } a) set.Add(a);
        }

        return set;
    }

    /// <summary>
    /// Where the previous hop dials this Node by default: the address it connects to the Core from
    /// (the route that demonstrably works), else its first public IP; null when neither is known.
    /// </summary>
    public static string? DefaultHost(NodeState node) =>
        Normalize(node.RemoteAddress) ?? node.System?.PublicIps.Select(Normalize).FirstOrDefault(a => a is not null);

    /// <summary>"1.2.3.4", "1.2.3.4:5", "::ffff:1.2.3.4", "[::1]:5", "10.0.0.1/24" → the bare address; null when not an IP.</summary>
    public static string? Normalize(string? address)
    {
        if (string.IsNullOrWhiteSpace(address)) return null;
        var text = address.Trim();
        var slash = text.IndexOf('/');
        if (slash >= 0) text = text[..slash];
        if (IPEndPoint.TryParse(text, out var endpoint) && (text.Contains('.') || text.StartsWith('[')))
            return Format(endpoint.Address);
        return IPAddress.TryParse(text, out var ip) ? Format(ip) : null;
    }

    private static string Format(IPAddress ip) => (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();

    [GeneratedRegex(@"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")]
    private static partial Regex DnsName();
}
