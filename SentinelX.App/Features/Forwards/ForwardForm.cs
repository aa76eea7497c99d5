using System.Globalization;
using System.Net;
using SentinelX.App.Features.Localization;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// What the edit dialog binds to: a <see cref="ForwardInput"/> in the shapes people type (targets one
/// per line, quota in GiB). <see cref="Validate"/> catches the obvious mistakes before a round trip;
/// the service still checks everything (loops, ports in use, unknown Nodes).
/// </summary>
public sealed class ForwardForm
{
    private const double GiB = 1024d * 1024 * 1024;

    public string Name { get; set; } = "";
    public string NodeId { get; set; } = "";
    public string Protocol { get; set; } = ForwardProtocols.Tcp;
    public string ListenAddress { get; set; } = "0.0.0.0";
    public int? ListenPort { get; set; }
    public string Targets { get; set; } = "";
    public string Balance { get; set; } = ForwardBalance.RoundRobin;
    public string Mode { get; set; } = ForwardModes.Userspace;
    public double BandwidthMbps { get; set; }
    public int MaxConnections { get; set; }
    public double QuotaGiB { get; set; }
    public string QuotaAction { get; set; } = QuotaActions.Block;
    public double QuotaThrottleMbps { get; set; } = 1;
    public int ResetDay { get; set; } = 1;
    public int ProxyProtocol { get; set; }
    public int UdpIdleSeconds { get; set; } = ForwardLimits.DefaultUdpIdleSeconds;
    public List<HopForm> Chain { get; } = [];

    public bool HasChain => Chain.Count > 0;

    public static ForwardForm From(ForwardView rule)
    {
        var form = new ForwardForm
        {
            Name = rule.Name,
            NodeId = rule.NodeId,
            Protocol = rule.Protocol,
            ListenAddress = rule.ListenAddress,
            ListenPort = rule.ListenPort,
            Targets = string.Join('\n', rule.Targets),
            Balance = rule.Balance,
            Mode = rule.Mode,
            BandwidthMbps = rule.BandwidthMbps,
            MaxConnections = rule.MaxConnections,
            QuotaGiB = Math.Round(rule.QuotaBytes / GiB, 3),
            QuotaAction = rule.QuotaAction,
            QuotaThrottleMbps = rule.QuotaThrottleMbps,
            ResetDay = rule.ResetDay is >= 1 and <= 28 ? rule.ResetDay : 1,
            ProxyProtocol = rule.ProxyProtocol,
            UdpIdleSeconds = rule.UdpIdleSeconds > 0 ? rule.UdpIdleSeconds : ForwardLimits.DefaultUdpIdleSeconds,
        };
        form.Chain.AddRange(rule.Chain.Select(h => new HopForm
        {
            NodeId = h.NodeId,
            Transport = h.Transport,
            Host = h.Host,
            Port = h.Port > 0 ? h.Port : null,
            Path = h.Path,
            HostHeader = h.HostHeader ?? "",
        }));
        return form;
    }

    /// <summary>Starts a chain at the entry Node chosen so far, with an empty exit hop after it.</summary>
    public void StartChain()
    {
        if (HasChain) return;
        Chain.Add(new HopForm { NodeId = NodeId });
        Chain.Add(new HopForm { Transport = HopTransports.Tls });
    }

    /// <summary>Moves hop <paramref name="index"/> by <paramref name="by"/> places (−1 up, +1 down).</summary>
    public void Move(int index, int by)
    {
        var to = index + by;
        if (index < 0 || index >= Chain.Count || to < 0 || to >= Chain.Count) return;
        (Chain[index], Chain[to]) = (Chain[to], Chain[index]);
    }

    public IReadOnlyList<string> TargetList =>
        Targets.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public ForwardInput ToInput() => new()
    {
        Name = Name.Trim(),
        NodeId = HasChain ? NullIfEmpty(Chain[0].NodeId) : NullIfEmpty(NodeId),
        Protocol = Protocol,
        ListenAddress = ListenAddress.Trim(),
        ListenPort = ListenPort ?? 0,
        Targets = TargetList,
        Balance = Balance,
        Mode = Mode,
        BandwidthMbps = BandwidthMbps,
        MaxConnections = MaxConnections,
        ProxyProtocol = ProxyProtocol,
        UdpIdleSeconds = UdpIdleSeconds,
        QuotaBytes = (long)Math.Round(QuotaGiB * GiB),
        QuotaAction = QuotaAction,
        QuotaThrottleMbps = QuotaThrottleMbps,
        ResetDay = ResetDay,
        Chain = [.. Chain.Select(h => new ForwardHopInput
        {
            NodeId = NullIfEmpty(h.NodeId),
            Transport = h.Transport,
            Host = NullIfEmpty(h.Host),
            Port = h.Port,
            Path = HopTransports.UsesWebSocket(h.Transport) ? NullIfEmpty(h.Path) : null,
            HostHeader = HopTransports.UsesWebSocket(h.Transport) ? NullIfEmpty(h.HostHeader) : null,
        })],
    };

    /// <summary>Field name (as the API names it; hops as <c>chain[i].field</c>) → a translated message.</summary>
    public Dictionary<string, string> Validate(UiText t)
    {
        var errors = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var name = Name.Trim();
        if (name.Length is 0 or > ForwardLimits.MaxNameLength || name.Any(char.IsControl))
            errors["name"] = t.Format("Name must be 1 to {0} characters without control characters.", ForwardLimits.MaxNameLength);
        if (!HasChain && NodeId.Length == 0)
            errors["nodeId"] = t["Choose the Node that listens."];
        if (ListenPort is not (>= 1 and <= 65535))
            errors["listenPort"] = t["Pick a port from 1 to 65535."];
        if (!IPAddress.TryParse(ListenAddress.Trim(), out _))
            errors["listenAddress"] = t["Use an IP address, e.g. 0.0.0.0 for all IPv4 addresses or :: for all addresses."];

        var targets = TargetList;
        if (targets.Count == 0)
            errors["targets"] = t["Add at least one target as host:port."];
        else if (targets.Count > ForwardLimits.MaxTargets)
            errors["targets"] = t.Format("At most {0} targets.", ForwardLimits.MaxTargets);
        else if (targets.FirstOrDefault(x => !IsHostPort(x)) is { } bad)
            errors["targets"] = t.Format("\"{0}\" is not host:port (IPv6 as [addr]:port).", bad);

        if (BandwidthMbps < 0) errors["bandwidthMbps"] = t["Use 0 for no limit, or a positive number."];
        if (MaxConnections < 0) errors["maxConnections"] = t["Use 0 for no limit, or a positive number."];
        if (QuotaGiB < 0) errors["quotaBytes"] = t["Use 0 for no quota, or a positive number."];
        if (QuotaGiB > 0 && QuotaAction == QuotaActions.Throttle && QuotaThrottleMbps <= 0)
            errors["quotaThrottleMbps"] = t["The throttled rate must be above 0."];
        if (ResetDay is < 1 or > 28) errors["resetDay"] = t["Pick a day from 1 to 28."];
        if (ProtocolHasUdp && UdpIdleSeconds is < 1 or > 86400)
            errors["udpIdleSeconds"] = t["Pick 1 to 86400 seconds."];
        if (Mode == ForwardModes.Kernel && HasChain)
            errors["mode"] = t["Kernel mode forwards on one Node only; use userspace for a chain."];

        ValidateChain(errors, t);
        return errors;
    }

    public bool ProtocolHasUdp => ForwardProtocols.HasUdp(Protocol);

    private void ValidateChain(Dictionary<string, string> errors, UiText t)
    {
        if (!HasChain) return;
        if (Chain.Count < 2) errors["chain"] = t["A chain needs at least two hops: the entry and the exit."];
        else if (Chain.Count > ForwardLimits.MaxHops) errors["chain"] = t.Format("At most {0} hops.", ForwardLimits.MaxHops);
        for (var i = 0; i < Chain.Count; i++)
        {
            var hop = Chain[i];
            if (hop.NodeId.Length == 0)
                errors[$"chain[{i}].nodeId"] = t["Choose a Node."];
            else if (i > 0 && hop.NodeId == Chain[i - 1].NodeId)
                errors[$"chain[{i}].nodeId"] = t["Two hops in a row on the same Node would loop."];
            if (hop.Port is { } port && port is < 1 or > 65535)
                errors[$"chain[{i}].port"] = t["Pick a port from 1 to 65535, or leave it empty."];
            if (HopTransports.UsesWebSocket(hop.Transport) && hop.Path.Length > 0 && !hop.Path.StartsWith('/'))
                errors[$"chain[{i}].path"] = t["The path starts with /."];
        }
    }

    /// <summary>"host:port", "1.2.3.4:80" or "[2001:db8::1]:443" with a port from 1 to 65535.</summary>
    internal static bool IsHostPort(string value)
    {
        string host, port;
        if (value.StartsWith('['))
        {
            var end = value.IndexOf("]:", StringComparison.Ordinal);
            if (end < 0) return false;
            host = value[1..end];
            port = value[(end + 2)..];
            if (!IPAddress.TryParse(host, out _)) return false;
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon <= 0 || value.IndexOf(':') != colon) return false;
            host = value[..colon];
            port = value[(colon + 1)..];
            if (Uri.CheckHostName(host) == UriHostNameType.Unknown) return false;
        }
        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>One hop as the chain editor binds it.</summary>
public sealed class HopForm
{
    /// <summary>Keeps Blazor's @key stable while hops are reordered.</summary>
    public Guid Key { get; } = Guid.NewGuid();

    public string NodeId { get; set; } = "";
    public string Transport { get; set; } = HopTransports.Tls;
    public string Host { get; set; } = "";
    public int? Port { get; set; }
    public string Path { get; set; } = "";
    public string HostHeader { get; set; } = "";
}

/// <summary>A Node the form offers in its pickers: its id and the label shown (name, marked when offline or removed).</summary>
public sealed record NodeChoice(string Id, string Label);
