using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using SentinelX.Node.Config;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Targets;

/// <summary>
/// Which addresses this Node dials as forward targets. A forward opens a public port onto whatever
/// its target is, so targets only the Node itself can reach are refused unless the server's owner
/// lists them in <c>forwardTargets.allow</c>: loopback (a local Docker API, Redis, databases),
/// link-local (169.254.169.254 hands out cloud credentials), unspecified, multicast and broadcast
/// addresses, the Node's own addresses and the Core's. <c>forwardTargets.deny</c> refuses more and
/// wins over allow. The Core cannot change any of it: it is the owner's lock, checked when a rule is
/// applied and again on every dial after DNS (a name may resolve elsewhere later).
/// </summary>
internal sealed class ForwardTargetPolicy
{
    private static readonly TimeSpan LocalRefresh = TimeSpan.FromSeconds(5);

    private readonly ForwardTargetRules _rules;
    private readonly string? _coreHost;
    private readonly string _configPath;
    private readonly TimeProvider _time;
    private readonly Func<IReadOnlyCollection<IPAddress>> _readLocal;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private volatile Cached? _local;
    private volatile Cached? _core;

    public ForwardTargetPolicy(
        ForwardTargetRules rules,
        Uri? core,
        string configPath,
        TimeProvider? time = null,
        Func<IReadOnlyCollection<IPAddress>>? localAddresses = null,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        _rules = rules;
        _coreHost = core?.IdnHost;
        _configPath = configPath;
        _time = time ?? TimeProvider.System;
        _readLocal = localAddresses ?? InterfaceAddresses;
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
    }

    public static ForwardTargetPolicy For(NodeSettings settings, TimeProvider? time = null) =>
        new(settings.ForwardTargets, settings.Core, settings.ConfigPath, time);

    /// <summary>
    /// Null when <paramref name="address"/> may be dialled for <paramref name="target"/>; otherwise the
    /// sentence the Core shows. <paramref name="moreLocal"/> adds addresses that count as the Node's
    /// own (kernel mode passes those of the namespace its rules live in).
    /// </summary>
    public async ValueTask<string?> RefusalAsync(string target, IPAddress address, IReadOnlySet<IPAddress>? moreLocal, CancellationToken ct)
    {
        if (await ReasonAsync(address, moreLocal, ct) is not { } reason) return null;
        var literal = TargetHost(target) is { } host && IPAddress.TryParse(host, out _);
        var shown = literal ? target : $"{target} ({address})";
        return $"target {shown} {ForwardRefusals.TargetPolicy} ({reason}); allow it in {_configPath}";
    }

    /// <summary>Why <paramref name="address"/> is refused (e.g. "loopback"), or null when it is allowed.</summary>
    public async ValueTask<string?> ReasonAsync(IPAddress address, IReadOnlySet<IPAddress>? moreLocal, CancellationToken ct)
    {
        var a = Normalize(address);
        if (_rules.Deny.Any(n => n.Contains(a))) return "listed in forwardTargets.deny";
        if (_rules.Allow.Any(n => n.Contains(a))) return null;
        if (Category(a) is { } category) return category;
        if (moreLocal?.Contains(a) == true || Local().Contains(a)) return "an address of this Node";
        if ((await CoreAsync(ct)).Contains(a)) return "the Core's address";
        return null;
    }

    /// <summary>
    /// One form per address: IPv4-mapped (<c>::ffff:127.0.0.1</c>) and IPv4-compatible
    /// (<c>::127.0.0.1</c>) IPv6 addresses are the IPv4 address they carry, and the scope id goes.
    /// </summary>
    public static IPAddress Normalize(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        var compatible = !bytes[..12].ContainsAnyExcept((byte)0) && !(bytes[12] == 0 && bytes[13] == 0 && bytes[14] == 0 && bytes[15] <= 1);
        return compatible ? new IPAddress(bytes[12..]) : new IPAddress(bytes);
    }

    /// <summary>The kind of address no forward reaches by default, or null for an ordinary one.</summary>
    public static string? Category(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out var length);
        if (length == 4)
        {
            return b[0] switch
            {
                127 => "loopback",
                0 => "unspecified",
                169 when b[1] == 254 => "link-local",
                >= 224 and < 240 => "multicast",
                255 when b[1] == 255 && b[2] == 255 && b[3] == 255 => "broadcast",
                >= 240 => "reserved",
                _ => null,
            };
        }

        if (address.Equals(IPAddress.IPv6Loopback)) return "loopback";
        if (address.Equals(IPAddress.IPv6Any)) return "unspecified";
        if (address.IsIPv6LinkLocal) return "link-local";
        if (address.IsIPv6Multicast) return "multicast";
        return null;
    }

    private static string? TargetHost(string target)
    {
        var colon = target.LastIndexOf(':');
        if (colon <= 0) return null;
        var host = target[..colon];
        return host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
    }

    private HashSet<IPAddress> Local()
    {
        var cached = _local;
        if (cached is not null && _time.GetElapsedTime(cached.At) < LocalRefresh) return cached.Addresses;
        var fresh = new Cached(_time.GetTimestamp(), [.. _readLocal().Select(Normalize)]);
        _local = fresh;
        return fresh.Addresses;
    }

    private async ValueTask<HashSet<IPAddress>> CoreAsync(CancellationToken ct)
    {
        if (_coreHost is null) return [];
        var cached = _core;
        if (cached is not null && _time.GetElapsedTime(cached.At) < ForwardLimits.DnsTtl) return cached.Addresses;
        HashSet<IPAddress> addresses;
        if (IPAddress.TryParse(_coreHost.Trim('[', ']'), out var literal)) addresses = [Normalize(literal)];
        else
        {
            try
            {
                addresses = [.. (await _resolve(_coreHost, ct)).Select(Normalize)];
            }
            catch (SocketException)
            {
                // The last answer stays; with none, the Core's name simply adds nothing to refuse.
                return cached?.Addresses ?? [];
            }
        }

        _core = new Cached(_time.GetTimestamp(), addresses);
        return addresses;
    }

    private static IPAddress[] InterfaceAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .ToArray();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    private sealed record Cached(long At, HashSet<IPAddress> Addresses);
}
