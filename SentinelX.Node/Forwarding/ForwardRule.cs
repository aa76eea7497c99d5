using System.Net;
using System.Net.Sockets;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Node.Forwarding.Targets;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>
/// One running userspace placement: its client listeners (TCP, UDP or both on the same port) or its
/// hop listener, its targets and the connections it carries. Starting it never throws for errors a
/// user can cause; they become <see cref="Error"/> with the exact text the UI shows.
/// </summary>
internal sealed class ForwardRule : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource _connections = new();
    private Socket? _tcp;
    private Task _accepting = Task.CompletedTask;
    private UdpEntry? _udp;
    private HopServer? _hop;
    private bool _closed;

    private ForwardRule(ForwardPlacement placement, string json, RuleCounters counters, HopCredentials? credentials, UdpSessionLimits? udpLimits = null)
    {
        UdpLimits = udpLimits ?? UdpSessionLimits.Default;
        Placement = placement;
        Json = json;
        Counters = counters;
        Credentials = credentials;
        counters.QuotaExhausted += OnQuotaExhausted;
    }

    public ForwardPlacement Placement { get; }

    /// <summary>The placement as the Core sent it, serialized: equal JSON means unchanged.</summary>
    public string Json { get; }

    public RuleCounters Counters { get; }
    public HopCredentials? Credentials { get; }
    public TargetPool? Targets { get; private set; }
    public UdpSessionLimits UdpLimits { get; }

    /// <summary>The UDP listener, when the placement has one.</summary>
    internal UdpEntry? Udp => _udp;

    /// <summary>Null while the placement runs; otherwise why it does not.</summary>
    public string? Error { get; private set; }

    /// <summary>Cancelled when open connections must close (the rule stops, or its quota blocks).</summary>
    public CancellationToken ConnectionsClosing => Volatile.Read(ref _connections).Token;

    public static async Task<ForwardRule> StartAsync(ForwardPlacement placement, string json, RuleCounters counters, HopCredentials? credentials,
        ForwardTargetPolicy policy, CancellationToken ct, UdpSessionLimits? udpLimits = null)
    {
        var rule = new ForwardRule(placement, json, counters, credentials, udpLimits);
        try
        {
            rule.Error = await rule.OpenAsync(policy, ct);
        }
        catch (Exception ex) when (ex is SocketException or FormatException or NotSupportedException or ArgumentException or IOException)
        {
            rule.Error = ex.Message;
        }

        if (rule.Error is not null) await rule.CloseListenersAsync();
        return rule;
    }

    /// <summary>A placement that is not started because of <paramref name="error"/> (found before binding).</summary>
    public static ForwardRule Failed(ForwardPlacement placement, string json, RuleCounters counters, string error) =>
        new(placement, json, counters, null) { Error = error, _closed = true };

    /// <summary>The port this placement listens on and the address, TCP and UDP; for conflicts between rules.</summary>
    public (IPAddress Address, int Port, bool Tcp, bool Udp)? Binding => BindingOf(Placement);

    public static (IPAddress Address, int Port, bool Tcp, bool Udp)? BindingOf(ForwardPlacement p)
    {
        var (text, port, tcp, udp) = p.Listen is { } l
            ? (l.Address, l.Port, ForwardProtocols.HasTcp(p.Protocol), ForwardProtocols.HasUdp(p.Protocol))
            : p.HopIn is { } h ? (h.Address, h.Port, true, false) : (null, 0, false, false);
        return text is not null && IPAddress.TryParse(text, out var address) ? (address, port, tcp, udp) : null;
    }

    public ForwardPlacementStats Stats() => new()
    {
        RuleId = Placement.RuleId,
        Status = Error is not null ? ForwardStatuses.Error : Counters.Blocked ? ForwardStatuses.QuotaBlocked : ForwardStatuses.Active,
        Error = Error,
        BytesIn = Counters.BytesIn,
        BytesOut = Counters.BytesOut,
        ConnectionsActive = Counters.ConnectionsActive,
        ConnectionsTotal = Counters.ConnectionsTotal,
        QuotaUsedBytes = Counters.QuotaUsed,
        QuotaReached = Counters.QuotaReached,
        TargetsDown = Targets?.TargetsDown,
    };

    private async Task<string?> OpenAsync(ForwardTargetPolicy policy, CancellationToken ct)
    {
        var p = Placement;
        if ((p.Listen is null) == (p.HopIn is null)) return "placement needs exactly one of listen and hopIn";
        if ((p.Next is null) == (p.Targets.Count == 0)) return "placement needs exactly one of next and targets";
        if (!ForwardProtocols.IsKnown(p.Protocol)) return $"unknown protocol {p.Protocol}";
        if (!ForwardModes.IsKnown(p.Mode)) return $"unknown mode {p.Mode}";

        IPEndPoint? listen = null;
        if (p.Listen is { } l)
        {
            if (!IPAddress.TryParse(l.Address, out var address)) return $"listen address {l.Address} is not an IP address";
            listen = new IPEndPoint(address, l.Port);
        }

        if (p.Targets.Count > 0)
        {
            Targets = new TargetPool(p.Targets, p.Balance, listen, policy);
            if (await Targets.FindLoopAsync(ct) is { } loop) return loop;
            if (await Targets.FindRefusedAsync(ct) is { } refused) return refused;
        }

        if (listen is not null)
        {
            if (ForwardProtocols.HasTcp(p.Protocol))
            {
                var socket = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(listen);
                    socket.Listen(1024);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    return ForwardErrors.Bind(ex, p.Listen!.Address, p.Listen.Port);
                }

                _tcp = socket;
                _accepting = AcceptLoopAsync(socket, _stop.Token);
            }

            if (ForwardProtocols.HasUdp(p.Protocol))
            {
                try
                {
                    _udp = UdpEntry.Start(this, listen, UdpLimits);
                }
                catch (SocketException ex)
                {
                    return ForwardErrors.Bind(ex, p.Listen!.Address, p.Listen.Port);
                }
            }

            return null;
        }

        try
        {
            _hop = HopServer.Start(p.RuleId, p.HopIn!, Credentials, (stream, preamble, hopCt) => HopRelay.HandleAsync(this, stream, preamble, hopCt));
        }
        catch (SocketException ex)
        {
            return ForwardErrors.Bind(ex, p.HopIn!.Address, p.HopIn.Port);
        }

        return null;
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (ct.IsCancellationRequested) return;
                continue;
            }

            _ = TcpRelay.HandleEntryAsync(this, client);
        }
    }

    private void OnQuotaExhausted()
    {
        if (Placement.Quota?.Action != QuotaActions.Block) return;
        CloseConnections();
    }

    /// <summary>Closes every open connection and UDP session; the listeners stay (new connections are refused while blocked).</summary>
    private void CloseConnections()
    {
        var old = Interlocked.Exchange(ref _connections, new CancellationTokenSource());
        // Not disposed: connections starting right now may still register on its token.
        old.Cancel();
        _udp?.CloseSessions();
    }

    private async Task CloseListenersAsync()
    {
        if (_closed) return;
        _closed = true;
        await _stop.CancelAsync();
        _tcp?.Dispose();
        await _accepting;
        if (_udp is not null) await _udp.DisposeAsync();
        if (_hop is not null) await _hop.DisposeAsync();
        if (Targets is not null) await Targets.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Counters.QuotaExhausted -= OnQuotaExhausted;
        await CloseListenersAsync();
        var connections = Volatile.Read(ref _connections);
        await connections.CancelAsync();
        _stop.Dispose();
    }
}
