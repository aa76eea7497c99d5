using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using SentinelX.Node.Forwarding.Copy;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>
/// How many UDP sessions one rule keeps: <see cref="PerRule"/> in all and <see cref="PerSource"/>
/// from one client address. A datagram that would open a session past either cap is dropped and
/// counted; sessions already open keep working. Both apply on top of the rule's maxConnections.
/// </summary>
internal sealed record UdpSessionLimits(int PerRule, int PerSource)
{
    public const int DefaultPerRule = 1024;
    public const int DefaultPerSource = 256;

    public static UdpSessionLimits Default { get; } = new(DefaultPerRule, DefaultPerSource);
}

/// <summary>
/// The UDP side of an entry placement. Each client address gets a session with its own connected
/// socket to a target (or, in a chain, its own hop connection carrying framed datagrams), so replies
/// find their way back; sessions end after <see cref="ForwardPlacement.UdpIdleSeconds"/> without traffic
/// and count against <see cref="ForwardPlacement.MaxConnections"/> like TCP connections.
/// </summary>
/// <remarks>
/// Bounded by design, because every client address can open a session: sessions are capped per rule
/// and per source (<see cref="UdpSessionLimits"/>); the listener has one receive buffer, and a session
/// rents a buffer only while a reply is in hand (it waits for replies with a zero-byte peek), so an
/// idle session holds a socket and a few small objects, no 64 KiB buffer. A session opens (target
/// lookup, hop dial) off the receive loop: until it is up, and while a hop write is under way, its
/// datagrams wait in a short queue, bounded per session and in bytes per rule, and beyond that are dropped.
/// </remarks>
internal sealed class UdpEntry : IAsyncDisposable
{
    /// <summary>Datagrams one session may have waiting (opening, or a hop write under way).</summary>
    internal const int MaxQueuedPerSession = 16;

    /// <summary>Bytes all sessions of the rule may have waiting together.</summary>
    internal const int MaxQueuedBytes = 1024 * 1024;

    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    private readonly ForwardRule _rule;
    private readonly UdpSessionLimits _limits;
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<IPEndPoint, Session> _sessions = new();
    private readonly Dictionary<IPAddress, int> _perSource = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private readonly Task _sweeping;
    private int _sessionCount;
    private long _refused;
    private long _dropped;
    private long _queuedBytes;
    private int _buffersHeld;
    private long _lastWarning = long.MinValue;

    private UdpEntry(ForwardRule rule, Socket socket, UdpSessionLimits limits)
    {
        _rule = rule;
        _socket = socket;
        _limits = limits;
        _receiving = ReceiveLoopAsync(_stop.Token);
        _sweeping = SweepLoopAsync(_stop.Token);
    }

    public static UdpEntry Start(ForwardRule rule, IPEndPoint listen, UdpSessionLimits? limits = null)
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

        return new UdpEntry(rule, socket, limits ?? UdpSessionLimits.Default);
    }

    /// <summary>Sessions open now.</summary>
    public int Sessions => Volatile.Read(ref _sessionCount);

    /// <summary>Datagrams dropped because they would have opened a session past a cap (or maxConnections).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Datagrams dropped because their session's queue (or the rule's queued bytes) was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Pooled buffers this entry holds right now: the listener's, replies in hand and queued datagrams.</summary>
    public int BuffersHeld => Volatile.Read(ref _buffersHeld);

    private TimeSpan Idle => TimeSpan.FromSeconds(Math.Max(1, _rule.Placement.UdpIdleSeconds));

    private byte[] Rent(int size)
    {
        Interlocked.Increment(ref _buffersHeld);
        return ArrayPool<byte>.Shared.Rent(size);
    }

    private void Return(byte[] buffer)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        Interlocked.Decrement(ref _buffersHeld);
    }

    private async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = Rent(HopPreamble.MaxDatagram);
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
                    var client = (IPEndPoint)received.RemoteEndPoint;
                    if (!_sessions.TryGetValue(client, out var session))
                    {
                        session = Open(client);
                        if (session is null) continue;
                    }

                    session.Touch();
                    await _rule.Counters.Inbound.TakeAsync(received.ReceivedBytes, ct);
                    if (session.Offer(buffer.AsSpan(0, received.ReceivedBytes))) _rule.Counters.AddIn(received.ReceivedBytes);
                    else Interlocked.Increment(ref _dropped);
                }
                catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
                {
                    if (ct.IsCancellationRequested) return;
                }
            }
        }
        finally
        {
            Return(buffer);
        }
    }

    /// <summary>A new session for <paramref name="client"/>, opening in the background; null when a cap refuses it.</summary>
    private Session? Open(IPEndPoint client)
    {
        var p = _rule.Placement;
        if (_rule.Counters.Blocked) return null;
        lock (_perSource)
        {
            var fromSource = _perSource.GetValueOrDefault(client.Address);
            if (_sessionCount >= _limits.PerRule || fromSource >= _limits.PerSource || !_rule.Counters.TryOpen(p.MaxConnections))
            {
                Interlocked.Increment(ref _refused);
                WarnFull(fromSource >= _limits.PerSource ? client.Address : null);
                return null;
            }

            _perSource[client.Address] = fromSource + 1;
            _sessionCount++;
        }

        Session session = p.Next is { } next ? new HopSession(this, client, next) : new DirectSession(this, client);
        _sessions[client] = session;
        session.Start();
        return session;
    }

    /// <summary>Says once a minute that a cap turns clients away, so a full rule is not a silent mystery.</summary>
    private void WarnFull(IPAddress? source)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarning);
        if (last != long.MinValue && now - last < (long)WarnEvery.TotalMilliseconds) return;
        if (Interlocked.CompareExchange(ref _lastWarning, now, last) != last) return;
        var p = _rule.Placement;
        var which = source is not null
            ? $"{_limits.PerSource} sessions from {source}"
            : $"{Sessions} sessions (rule cap {_limits.PerRule}{(p.MaxConnections > 0 ? $", maxConnections {p.MaxConnections}" : "")})";
        Log.Warn($"forward {p.Name} ({p.RuleId}): UDP full at {which}; datagrams from new clients are dropped ({Refused} so far)");
    }

    /// <summary>Sends a reply to the client, through the rule's outbound bucket.</summary>
    private async Task ReplyAsync(IPEndPoint client, ReadOnlyMemory<byte> datagram, CancellationToken ct)
    {
        await _rule.Counters.Outbound.TakeAsync(datagram.Length, ct);
        await _socket.SendToAsync(datagram, SocketFlags.None, client, ct);
        _rule.Counters.AddOut(datagram.Length);
    }

    private bool ReserveQueued(int bytes)
    {
        if (Interlocked.Add(ref _queuedBytes, bytes) <= MaxQueuedBytes) return true;
        Interlocked.Add(ref _queuedBytes, -bytes);
        return false;
    }

    private void ReleaseQueued(int bytes) => Interlocked.Add(ref _queuedBytes, -bytes);

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
        lock (_perSource)
        {
            _sessionCount--;
            if (_perSource.TryGetValue(client.Address, out var n) && n > 1) _perSource[client.Address] = n - 1;
            else _perSource.Remove(client.Address);
        }

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

    /// <summary>A datagram copied out of the listener's buffer, in a pooled array starting at offset 0.</summary>
    private readonly record struct Queued(byte[] Buffer, int Length);

    /// <summary>
    /// One client's traffic. It opens in the background, then waits for replies until it ends;
    /// datagrams that cannot be sent at once wait in its queue, drained by one writer at a time.
    /// </summary>
    private abstract class Session(UdpEntry owner, IPEndPoint client) : IDisposable
    {
        private readonly CancellationTokenSource _end = new();
        private readonly Queue<Queued> _queue = new();
        private long _lastActive = Environment.TickCount64;
        private bool _open;
        private bool _writing;
        private bool _disposed;

        public long LastActive => Volatile.Read(ref _lastActive);
        protected UdpEntry Owner => owner;
        protected IPEndPoint Client => client;
        protected CancellationToken Ending => _end.Token;

        /// <summary>Bytes put in front of a queued datagram (a hop's frame header).</summary>
        protected virtual int Headroom => 0;

        public void Touch() => Volatile.Write(ref _lastActive, Environment.TickCount64);

        /// <summary>Connects the target or dials the hop.</summary>
        protected abstract Task OpenAsync(CancellationToken ct);

        /// <summary>Sends at once without waiting, when the session allows it; false to queue instead.</summary>
        protected virtual bool TrySendNow(ReadOnlySpan<byte> datagram, out bool sent)
        {
            sent = false;
            return false;
        }

        /// <summary>Writes one queued datagram (with its headroom).</summary>
        protected abstract ValueTask WriteAsync(ReadOnlyMemory<byte> queued, CancellationToken ct);

        /// <summary>Called once the queue is empty after writing.</summary>
        protected virtual ValueTask FlushAsync(CancellationToken ct) => ValueTask.CompletedTask;

        protected abstract Task ReplyLoopAsync();

        /// <summary>Passes a datagram on; never waits. False when it is dropped.</summary>
        public bool Offer(ReadOnlySpan<byte> datagram)
        {
            lock (_queue)
            {
                if (_disposed) return false;
                if (_open && !_writing && TrySendNow(datagram, out var sent)) return sent;
                var size = Headroom + datagram.Length;
                if (_queue.Count >= MaxQueuedPerSession || !owner.ReserveQueued(size)) return false;
                var copy = owner.Rent(size);
                FillHeadroom(copy, datagram.Length);
                datagram.CopyTo(copy.AsSpan(Headroom));
                _queue.Enqueue(new Queued(copy, size));
                if (_open && !_writing)
                {
                    _writing = true;
                    _ = DrainAsync();
                }

                return true;
            }
        }

        protected virtual void FillHeadroom(byte[] buffer, int length)
        {
        }

        public void Start() => _ = Task.Run(RunAsync);

        private async Task RunAsync()
        {
            try
            {
                await OpenAsync(Ending);
                lock (_queue)
                {
                    _open = true;
                    if (_queue.Count > 0 && !_disposed)
                    {
                        _writing = true;
                        _ = DrainAsync();
                    }
                }

                await ReplyLoopAsync();
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException or NotSupportedException
                                           or TimeoutException or System.Security.Authentication.AuthenticationException)
            {
            }

            owner.End(client, this);
        }

        private async Task DrainAsync()
        {
            while (true)
            {
                Queued next;
                lock (_queue)
                {
                    if (_disposed || !_queue.TryDequeue(out next))
                    {
                        _writing = false;
                        break;
                    }
                }

                try
                {
                    await WriteAsync(next.Buffer.AsMemory(0, next.Length), Ending);
                }
                catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
                {
                    lock (_queue) _writing = false;
                    owner.End(client, this);
                    return;
                }
                finally
                {
                    owner.ReleaseQueued(next.Length);
                    owner.Return(next.Buffer);
                }
            }

            try
            {
                await FlushAsync(Ending);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                owner.End(client, this);
            }
        }

        public virtual void Dispose()
        {
            lock (_queue)
            {
                _disposed = true;
                while (_queue.TryDequeue(out var queued))
                {
                    owner.ReleaseQueued(queued.Length);
                    owner.Return(queued.Buffer);
                }
            }

            _end.Cancel();
        }
    }

    /// <summary>A connected socket to one target. Sends never wait: a full socket buffer drops the datagram, as the network would.</summary>
    private sealed class DirectSession(UdpEntry owner, IPEndPoint client) : Session(owner, client)
    {
        private Socket? _target;

        protected override async Task OpenAsync(CancellationToken ct)
        {
            var endpoint = await Owner._rule.Targets!.PickDatagramTargetAsync(ct);
            var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                await socket.ConnectAsync(endpoint, ct);
                socket.Blocking = false;
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            // Disposed meanwhile (idle sweep, quota block, rule stop): Dispose cancels before it looks
            // for the socket, so one of the two sees the other and the socket is closed either way.
            Interlocked.Exchange(ref _target, socket);
            if (Ending.IsCancellationRequested)
            {
                socket.Dispose();
                throw new OperationCanceledException();
            }
        }

        protected override bool TrySendNow(ReadOnlySpan<byte> datagram, out bool sent)
        {
            sent = _target!.Send(datagram, SocketFlags.None, out var error) == datagram.Length && error == SocketError.Success;
            return true;
        }

        protected override async ValueTask WriteAsync(ReadOnlyMemory<byte> queued, CancellationToken ct) =>
            await _target!.SendAsync(queued, SocketFlags.None, ct);

        protected override async Task ReplyLoopAsync()
        {
            var target = _target!;
            while (true)
            {
                try
                {
                    // Peek without a buffer: an idle session holds none. (A plain zero-byte receive would consume the datagram.)
                    await target.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, Ending);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    continue; // ICMP port unreachable from the target: the client may retry later
                }

                var buffer = Owner.Rent(HopPreamble.MaxDatagram);
                try
                {
                    var length = target.Receive(buffer, 0, HopPreamble.MaxDatagram, SocketFlags.None, out var error);
                    if (error is SocketError.WouldBlock or SocketError.ConnectionRefused) continue;
                    if (error != SocketError.Success) throw new SocketException((int)error);
                    Touch();
                    await Owner.ReplyAsync(Client, buffer.AsMemory(0, length), Ending);
                }
                finally
                {
                    Owner.Return(buffer);
                }
            }
        }

        public override void Dispose()
        {
            base.Dispose();
            Volatile.Read(ref _target)?.Dispose();
        }
    }

    /// <summary>Datagrams framed on a hop connection, dialled in the background; writes go through the queue, one at a time.</summary>
    private sealed class HopSession(UdpEntry owner, IPEndPoint client, HopDial next) : Session(owner, client)
    {
        private Stream? _hop;

        protected override int Headroom => DatagramFraming.HeaderSize;

        protected override void FillHeadroom(byte[] buffer, int length) => DatagramFraming.WriteHeader(buffer, length);

        protected override async Task OpenAsync(CancellationToken ct)
        {
            var preamble = new HopPreamble(HopKind.Udp, Owner._rule.Placement.RuleId, next.Secret, Client);
            var hop = await TcpRelay.DialHopAsync(next, Owner._rule.Credentials, preamble, ct);
            Interlocked.Exchange(ref _hop, hop);
            if (Ending.IsCancellationRequested)
            {
                await hop.DisposeAsync();
                throw new OperationCanceledException();
            }
        }

        protected override ValueTask WriteAsync(ReadOnlyMemory<byte> queued, CancellationToken ct) => _hop!.WriteAsync(queued, ct);

        protected override ValueTask FlushAsync(CancellationToken ct) => new(_hop!.FlushAsync(ct));

        protected override async Task ReplyLoopAsync()
        {
            var hop = _hop!;
            while (true)
            {
                await DataWait.ForStreamAsync(hop, Ending);
                var buffer = Owner.Rent(HopPreamble.MaxDatagram);
                try
                {
                    var length = await DatagramFraming.ReadAsync(hop, buffer, Ending);
                    if (length < 0) return;
                    Touch();
                    await Owner.ReplyAsync(Client, buffer.AsMemory(0, length), Ending);
                }
                finally
                {
                    Owner.Return(buffer);
                }
            }
        }

        public override void Dispose()
        {
            base.Dispose();
            Volatile.Read(ref _hop)?.Dispose();
        }
    }
}
