using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>
/// The UDP side of an entry placement. Each client address gets a session with its own connected
/// socket to a target (or, in a chain, its own hop connection carrying framed datagrams), so replies
/// find their way back; sessions end after <see cref="ForwardPlacement.UdpIdleSeconds"/> without traffic
/// and count against <see cref="ForwardPlacement.MaxConnections"/> like TCP connections.
/// </summary>
internal sealed class UdpEntry : IAsyncDisposable
{
    private readonly ForwardRule _rule;
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<IPEndPoint, Session> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private readonly Task _sweeping;

    private UdpEntry(ForwardRule rule, Socket socket)
    {
        _rule = rule;
        _socket = socket;
        _receiving = ReceiveLoopAsync(_stop.Token);
        _sweeping = SweepLoopAsync(_stop.Token);
    }

    public static UdpEntry Start(ForwardRule rule, IPEndPoint listen)
    {
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(listen);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new UdpEntry(rule, socket);
    }

    private TimeSpan Idle => TimeSpan.FromSeconds(Math.Max(1, _rule.Placement.UdpIdleSeconds));

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[HopPreamble.MaxDatagram];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
                var client = (IPEndPoint)received.RemoteEndPoint;
                if (!_sessions.TryGetValue(client, out var session))
                {
                    session = await OpenAsync(client, ct);
                    if (session is null) continue;
                }

                session.Touch();
                await _rule.Counters.Inbound.TakeAsync(received.ReceivedBytes, ct);
                await session.SendAsync(buffer.AsMemory(0, received.ReceivedBytes), ct);
                _rule.Counters.AddIn(received.ReceivedBytes);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                if (ct.IsCancellationRequested) return;
            }
        }
    }

    private async Task<Session?> OpenAsync(IPEndPoint client, CancellationToken ct)
    {
        var p = _rule.Placement;
        if (_rule.Counters.Blocked || !_rule.Counters.TryOpen(p.MaxConnections)) return null;
        Session session;
        try
        {
            if (p.Next is { } next)
            {
                var hop = await TcpRelay.DialHopAsync(next, _rule.Credentials, new HopPreamble(HopKind.Udp, p.RuleId, next.Secret, client), ct);
                session = new HopSession(this, client, hop);
            }
            else
            {
                var endpoint = await _rule.Targets!.PickDatagramTargetAsync(ct);
                var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                await socket.ConnectAsync(endpoint, ct);
                session = new DirectSession(this, client, socket);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or NotSupportedException)
        {
            _rule.Counters.Close();
            return null;
        }

        _sessions[client] = session;
        session.Start();
        return session;
    }

    /// <summary>Sends a reply to the client, through the rule's outbound bucket.</summary>
    private async Task ReplyAsync(IPEndPoint client, ReadOnlyMemory<byte> datagram, CancellationToken ct)
    {
        await _rule.Counters.Outbound.TakeAsync(datagram.Length, ct);
        await _socket.SendToAsync(datagram, SocketFlags.None, client, ct);
        _rule.Counters.AddOut(datagram.Length);
    }

    private async Task SweepLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var cutoff = Environment.TickCount64 - (long)Idle.TotalMilliseconds;
                foreach (var (client, session) in _sessions)
                {
                    if (session.LastActive < cutoff) End(client, session);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void End(IPEndPoint client, Session session)
    {
        if (!_sessions.TryRemove(new KeyValuePair<IPEndPoint, Session>(client, session))) return;
        session.Dispose();
        _rule.Counters.Close();
    }

    /// <summary>Ends every session (quota block); new datagrams open new ones only when allowed.</summary>
    public void CloseSessions()
    {
        foreach (var (client, session) in _sessions) End(client, session);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await Task.WhenAll(_receiving, _sweeping);
        CloseSessions();
        _stop.Dispose();
    }

    /// <summary>One client's traffic; replies run on their own loop until the session ends.</summary>
    private abstract class Session(UdpEntry owner, IPEndPoint client) : IDisposable
    {
        private readonly CancellationTokenSource _end = new();
        private long _lastActive = Environment.TickCount64;

        public long LastActive => Volatile.Read(ref _lastActive);
        protected UdpEntry Owner => owner;
        protected IPEndPoint Client => client;
        protected CancellationToken Ending => _end.Token;

        public void Touch() => Volatile.Write(ref _lastActive, Environment.TickCount64);

        public abstract ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken ct);

        protected abstract Task ReplyLoopAsync();

        public void Start() => _ = Task.Run(async () =>
        {
            try
            {
                await ReplyLoopAsync();
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
            }

            owner.End(client, this);
        });

        public virtual void Dispose() => _end.Cancel();
    }

    private sealed class DirectSession(UdpEntry owner, IPEndPoint client, Socket target) : Session(owner, client)
    {
        public override async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken ct) =>
            await target.SendAsync(datagram, SocketFlags.None, ct);

        protected override async Task ReplyLoopAsync()
        {
            var buffer = new byte[HopPreamble.MaxDatagram];
            while (true)
            {
                int length;
                try
                {
                    length = await target.ReceiveAsync(buffer, SocketFlags.None, Ending);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    continue; // ICMP port unreachable from the target: the client may retry later
                }

                Touch();
                await Owner.ReplyAsync(Client, buffer.AsMemory(0, length), Ending);
            }
        }

        public override void Dispose()
        {
            base.Dispose();
            target.Dispose();
        }
    }

    private sealed class HopSession(UdpEntry owner, IPEndPoint client, Stream hop) : Session(owner, client)
    {
        public override ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken ct) =>
            DatagramFraming.WriteAsync(hop, datagram, ct);

        protected override async Task ReplyLoopAsync()
        {
            var buffer = new byte[HopPreamble.MaxDatagram + 2];
            while (true)
            {
                var length = await DatagramFraming.ReadAsync(hop, buffer, Ending);
                if (length < 0) return;
                Touch();
                await Owner.ReplyAsync(Client, buffer.AsMemory(0, length), Ending);
            }
        }

        public override void Dispose()
        {
            base.Dispose();
            hop.Dispose();
        }
    }
}
