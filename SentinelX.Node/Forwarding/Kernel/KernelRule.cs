using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>
/// One kernel placement, checked and with its targets resolved to IPv4 endpoints: what the firewall
/// backends turn into rules. <see cref="ListenAddress"/> is null for "every local address".
/// </summary>
internal sealed partial record KernelRule(
    string RuleId,
    IReadOnlyList<string> Protocols,
    IPAddress? ListenAddress,
    int ListenPort,
    IReadOnlyList<IPEndPoint> Targets)
{
    /// <summary>The comment every firewall rule of this placement carries; counters are found by it.</summary>
    public string Tag => "sx:" + RuleId;

    /// <summary>
    /// A stable name for the nftables counter objects of this rule (rule ids may hold characters nft
    /// names cannot), so a re-push with new targets keeps counting on the same objects.
    /// </summary>
    public string CounterName => "sx_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(RuleId)).AsSpan(0, 8));

    /// <summary>Rule ids end up inside firewall comments; anything that could break the quoting is refused.</summary>
    public static bool IsSafeId(string id) => SafeId().IsMatch(id);

    /// <summary>Checks one placement and resolves its targets; returns the rule or the exact reason it cannot run in the kernel.</summary>
    public static async Task<(KernelRule? Rule, string? Error)> PrepareAsync(
        ForwardPlacement placement, IReadOnlySet<IPAddress> localAddresses, CancellationToken ct)
    {
        if (!IsSafeId(placement.RuleId)) return (null, "the rule id has characters kernel mode cannot tag");
        if (placement.Listen is null || placement.Next is not null)
            return (null, "kernel mode runs only rules without a chain");
        if (placement.BandwidthMbps > 0) return (null, "kernel mode has no bandwidth limit; use userspace mode");
        if (placement.MaxConnections > 0) return (null, "kernel mode has no connection limit; use userspace mode");
        if (placement.ProxyProtocol != 0) return (null, "kernel mode cannot send the PROXY protocol; use userspace mode");
        if (placement.Quota is not null) return (null, "kernel mode has no traffic quota; use userspace mode");
        if (!ForwardProtocols.IsKnown(placement.Protocol)) return (null, $"unknown protocol {placement.Protocol}");

        IPAddress? listen = null;
        if (!IPAddress.TryParse(placement.Listen.Address, out var listenAddress))
            return (null, $"listen address {placement.Listen.Address} is not an IP address");
        if (listenAddress.AddressFamily != AddressFamily.InterNetwork)
            return (null, "kernel mode listens on IPv4 addresses only");
        if (!listenAddress.Equals(IPAddress.Any)) listen = listenAddress;
        if (placement.Listen.Port is < 1 or > 65535) return (null, $"listen port {placement.Listen.Port} is out of range");

        if (placement.Targets.Count == 0) return (null, "the rule has no target");
        if (placement.Targets.Count > 1 && placement.Balance != ForwardBalance.RoundRobin)
            return (null, "kernel mode cannot health-check targets to fail over; use roundrobin or userspace mode");

        var targets = new List<IPEndPoint>();
        foreach (var target in placement.Targets)
        {
            var (endpoint, error) = await ResolveAsync(target, ct);
            if (endpoint is null) return (null, error);
            if (IPAddress.IsLoopback(endpoint.Address))
                return (null, $"kernel mode cannot forward to the loopback address {target}; use userspace mode");

            var sameHost = listen is null ? localAddresses.Contains(endpoint.Address) : endpoint.Address.Equals(listen);
            if (sameHost && endpoint.Port == placement.Listen.Port)
                return (null, $"target {target} is the rule's own listen address (a loop)");
            targets.Add(endpoint);
        }

        string[] protocols = placement.Protocol switch
        {
            ForwardProtocols.Tcp => [ForwardProtocols.Tcp],
            ForwardProtocols.Udp => [ForwardProtocols.Udp],
            _ => [ForwardProtocols.Tcp, ForwardProtocols.Udp],
        };
        return (new KernelRule(placement.RuleId, protocols, listen, placement.Listen.Port, targets), null);
    }

    /// <summary>True when both rules would catch the same packets (same port and protocol, overlapping addresses).</summary>
    public bool Overlaps(KernelRule other) =>
        ListenPort == other.ListenPort
        && Protocols.Intersect(other.Protocols).Any()
        && (ListenAddress is null || other.ListenAddress is null || ListenAddress.Equals(other.ListenAddress));

    /// <summary>
    /// DNS names are resolved now, once per apply: the kernel only knows addresses. A later re-push
    /// (every reconnect and every change) resolves them again.
    /// </summary>
    private static async Task<(IPEndPoint? Endpoint, string? Error)> ResolveAsync(string target, CancellationToken ct)
    {
        var colon = target.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            return (null, $"target {target} is not host:port");
        var host = target[..colon];
        if (host.StartsWith('[')) return (null, $"kernel mode forwards to IPv4 targets only ({target})");
        if (IPAddress.TryParse(host, out var literal))
        {
            return literal.AddressFamily == AddressFamily.InterNetwork
                ? (new IPEndPoint(literal, port), null)
                : (null, $"kernel mode forwards to IPv4 targets only ({target})");
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, ct);
            return addresses.Length > 0
                ? (new IPEndPoint(addresses[0], port), null)
                : (null, $"cannot resolve {host} to an IPv4 address");
        }
        catch (SocketException ex)
        {
            return (null, $"cannot resolve {host}: {ex.Message}");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,100}$")]
    private static partial Regex SafeId();
}
