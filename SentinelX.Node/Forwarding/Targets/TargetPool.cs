using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Targets;

/// <summary>
/// The targets of a last-hop placement: parses <c>host:port</c> / <c>[v6]:port</c>, caches DNS
/// answers for <see cref="ForwardLimits.DnsTtl"/>, orders targets for round robin or failover and,
/// with more than one target, marks them down or up with TCP health checks. It also refuses to
/// connect back to the rule's own listener, which would loop until the Node runs out of sockets,
/// and never dials an address the <see cref="ForwardTargetPolicy"/> refuses, whatever DNS says.
/// </summary>
internal sealed class TargetPool : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(2);

    private readonly Target[] _targets;
    private readonly bool _failover;
    private readonly IPEndPoint? _listen;
    private readonly ForwardTargetPolicy _policy;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _health = Task.CompletedTask;
    private int _next = -1;

    private string? _lastRefusal;

    /// <param name="resolve">DNS; tests pass their own answers.</param>
    public TargetPool(IReadOnlyList<string> targets, string balance, IPEndPoint? listen, ForwardTargetPolicy policy,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        resolve ??= Dns.GetHostAddressesAsync;
        _targets = targets.Select(t => Target.Parse(t, resolve)).ToArray();
        _failover = balance == ForwardBalance.Failover;
        _listen = listen;
        _policy = policy;
        if (_targets.Length > 1) _health = HealthLoopAsync(_stop.Token);
    }

    /// <summary>Targets the last health check found down.</summary>
    public IReadOnlyList<string>? TargetsDown
    {
        get
        {
            var down = _targets.Where(t => t.Down).Select(t => t.Text).ToArray();
            return down.Length == 0 ? null : down;
        }
    }

    /// <summary>Checks every target for a loop back to the listener; returns the error, or null.</summary>
    public async Task<string?> FindLoopAsync(CancellationToken ct)
    {
        foreach (var target in _targets)
        {
            IPAddress[] addresses;
            try
            {
                addresses = await target.ResolveAsync(ct);
            }
            catch (SocketException)
            {
                continue; // an unresolvable name cannot loop; connecting reports it
            }

            if (addresses.Any(a => LoopsBack(new IPEndPoint(a, target.Port))))
                return $"target {target.Text} loops back to this rule's own listen port";
        }

        return null;
    }

    /// <summary>
    /// The refusal for the first target whose every address the policy refuses, or null. A name that
    /// does not resolve yet passes: dialing checks again.
    /// </summary>
    public async Task<string?> FindRefusedAsync(CancellationToken ct)
    {
        foreach (var target in _targets)
        {
            IPAddress[] addresses;
            try
            {
                addresses = await target.ResolveAsync(ct);
            }
            catch (SocketException)
            {
                continue;
            }

            string? first = null;
            var allowed = false;
            foreach (var address in addresses)
            {
                var refusal = await _policy.RefusalAsync(target.Text, address, null, ct);
                first ??= refusal;
                allowed |= refusal is null;
            }

            if (!allowed && first is not null) return first;
        }

        return null;
    }

    /// <summary>Connects to the next target in balance order, trying the others when one fails.</summary>
    public async Task<Socket> ConnectAsync(CancellationToken ct)
    {
        Exception? last = null;
        foreach (var endpoint in await CandidatesAsync(ct))
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(endpoint, timeout.Token);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                socket.Dispose();
                last = ex;
            }
        }

        var why = last?.Message ?? Volatile.Read(ref _lastRefusal);
        throw new SocketException((int)SocketError.HostUnreachable, $"no target reachable{(why is null ? "" : ": " + why)}");
    }

    /// <summary>The endpoint a new UDP session goes to (UDP cannot tell whether a target is up; health checks use TCP).</summary>
    public async Task<IPEndPoint> PickDatagramTargetAsync(CancellationToken ct)
    {
        var candidates = await CandidatesAsync(ct);
        return candidates.Count > 0 ? candidates[0]
            : throw new SocketException((int)SocketError.HostNotFound, Volatile.Read(ref _lastRefusal) ?? "no target resolves");
    }

    private async Task<List<IPEndPoint>> CandidatesAsync(CancellationToken ct)
    {
        var order = new List<Target>(_targets.Length);
        var start = _failover ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)_targets.Length);
        for (var i = 0; i < _targets.Length; i++) order.Add(_targets[(start + i) % _targets.Length]);

        // Healthy targets first, in balance order; targets marked down stay as a last resort.
        var endpoints = new List<IPEndPoint>();
        foreach (var target in order.Where(t => !t.Down).Concat(order.Where(t => t.Down)))
        {
            try
            {
                foreach (var address in await target.ResolveAsync(ct))
                {
                    var endpoint = new IPEndPoint(address, target.Port);
                    if (LoopsBack(endpoint)) continue;
                    if (await _policy.RefusalAsync(target.Text, address, null, ct) is { } refusal)
                    {
                        Volatile.Write(ref _lastRefusal, refusal);
                        continue;
                    }

                    endpoints.Add(endpoint);
                }
            }
            catch (SocketException)
            {
            }
        }

        return endpoints;
    }

    private bool LoopsBack(IPEndPoint endpoint)
    {
        if (_listen is null || endpoint.Port != _listen.Port) return false;
        var address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        if (_listen.Address.Equals(IPAddress.Any) || _listen.Address.Equals(IPAddress.IPv6Any))
            return IPAddress.IsLoopback(address) || IsLocal(address);
        return address.Equals(_listen.Address);
    }

    private static bool IsLocal(IPAddress address)
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Any(u => u.Address.Equals(address));
        }
        catch (NetworkInformationException)
        {
            return false;
        }
    }

    private async Task HealthLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(ForwardLimits.HealthCheckInterval);
        try
        {
            do
            {
                await Task.WhenAll(_targets.Select(t => CheckAsync(t, ct)));
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CheckAsync(Target target, CancellationToken ct)
    {
        var up = false;
        try
        {
            foreach (var address in await target.ResolveAsync(ct))
            {
                // Health checks dial too: a refused address must not even be probed.
                if (await _policy.ReasonAsync(address, null, ct) is not null) continue;
                using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(HealthTimeout);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, target.Port), timeout.Token);
                    up = true;
                    break;
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                }
            }
        }
        catch (SocketException)
        {
        }

        if (!ct.IsCancellationRequested) target.Down = !up;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _health;
        _stop.Dispose();
    }

    /// <summary>One <c>host:port</c> with its DNS cache.</summary>
    private sealed class Target(string text, string host, int port, Func<string, CancellationToken, Task<IPAddress[]>> resolve)
    {
        private IPAddress[]? _addresses;
        private long _resolvedAt;

        public string Text => text;
        public int Port => port;
        public volatile bool Down;

        public static Target Parse(string text, Func<string, CancellationToken, Task<IPAddress[]>> resolve)
        {
            if (!TryParse(text, out var host, out var port))
                throw new FormatException($"target {text} is not host:port");
            return new Target(text, host, port, resolve);
        }

        public static bool TryParse(string text, out string host, out int port)
        {
            host = "";
            port = 0;
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out port) || port is < 1 or > 65535) return false;
            host = text[..colon];
            if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
            return host.Length > 0;
        }

        public async ValueTask<IPAddress[]> ResolveAsync(CancellationToken ct)
        {
            if (IPAddress.TryParse(host, out var literal)) return [literal];
            var cached = Volatile.Read(ref _addresses);
            if (cached is not null && Environment.TickCount64 - Volatile.Read(ref _resolvedAt) < ForwardLimits.DnsTtl.TotalMilliseconds)
                return cached;
            try
            {
                // IPv4 first: most targets listen there, and a loopback name would otherwise try ::1 first.
                var resolved = (await resolve(host, ct))
                    .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).ToArray();
                Volatile.Write(ref _addresses, resolved);
                Volatile.Write(ref _resolvedAt, Environment.TickCount64);
                return resolved;
            }
            catch (SocketException) when (cached is not null)
            {
                return cached; // a DNS hiccup keeps the last answer
            }
        }
    }
}
