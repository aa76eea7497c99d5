using System.Buffers;
using System.Net;
using System.Net.Sockets;
using SentinelX.Node.Forwarding.Copy;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>
/// A connection admitted by a hop listener: carried onward to the next hop with the same client
/// address, or, on the last hop, to a target (TCP) or through a UDP socket (datagrams).
/// </summary>
internal static class HopRelay
{
    public static async Task HandleAsync(ForwardRule rule, Stream stream, HopPreamble preamble, CancellationToken stop)
    {
        var p = rule.Placement;
        if (!rule.Counters.TryOpen(0)) return;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, rule.ConnectionsClosing);
        var ct = linked.Token;
        try
        {
            if (p.Next is { } next)
            {
                // Onward: the carried bytes (raw, or datagram frames) pass through unchanged.
                await using var onward = await TcpRelay.DialHopAsync(next, rule.Credentials, preamble with { Secret = next.Secret }, ct);
                await StreamCopier.RunAsync(stream, onward, rule.Counters, ct);
            }
            else if (preamble.Kind == HopKind.Udp)
            {
                await UdpToTargetAsync(rule, stream, ct);
            }
            else if (stream is NetworkStream network)
            {
                await TcpRelay.ToTargetAsync(rule, network.Socket, preamble.Client, (IPEndPoint)network.Socket.LocalEndPoint!, ct);
            }
            else
            {
                var reached = new IPEndPoint(IPAddress.Parse(p.HopIn!.Address), p.HopIn.Port);
                using var target = await rule.Targets!.ConnectAsync(ct);
                if (p.ProxyProtocol is 1 or 2)
                    await target.SendAsync(Targets.ProxyProtocolHeader.Build(p.ProxyProtocol, preamble.Client, reached), ct);
                await using var targetStream = new NetworkStream(target, ownsSocket: false);
                await StreamCopier.RunAsync(stream, targetStream, rule.Counters, ct);
            }
        }
        finally
        {
            rule.Counters.Close();
        }
    }

    /// <summary>
    /// Datagram frames from the hop go to the target; the target's replies go back framed, until either
    /// side ends or idles. Both directions wait for data before they rent a buffer, so an idle
    /// session holds none.
    /// </summary>
    private static async Task UdpToTargetAsync(ForwardRule rule, Stream stream, CancellationToken ct)
    {
        var endpoint = await rule.Targets!.PickDatagramTargetAsync(ct);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(endpoint, ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var idle = TimeSpan.FromSeconds(Math.Max(1, rule.Placement.UdpIdleSeconds));
        cancel.CancelAfter(idle);

        var toTarget = ToTargetAsync(rule, stream, socket, cancel, idle);
        var fromTarget = FromTargetAsync(rule, stream, socket, cancel, idle);
        try
        {
            await Task.WhenAny(toTarget, fromTarget);
        }
        finally
        {
            await cancel.CancelAsync();
            await Task.WhenAll(toTarget, fromTarget).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private static async Task ToTargetAsync(ForwardRule rule, Stream stream, Socket socket, CancellationTokenSource cancel, TimeSpan idle)
    {
        while (true)
        {
            await DataWait.ForStreamAsync(stream, cancel.Token);
            var buffer = ArrayPool<byte>.Shared.Rent(HopPreamble.MaxDatagram);
            try
            {
                var length = await DatagramFraming.ReadAsync(stream, buffer, cancel.Token);
                if (length < 0) return;
                cancel.CancelAfter(idle);
                await socket.SendAsync(buffer.AsMemory(0, length), cancel.Token);
                rule.Counters.AddIn(length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task FromTargetAsync(ForwardRule rule, Stream stream, Socket socket, CancellationTokenSource cancel, TimeSpan idle)
    {
        while (true)
        {
            await DataWait.ForDatagramAsync(socket, cancel.Token);
            var buffer = ArrayPool<byte>.Shared.Rent(HopPreamble.MaxDatagram);
            try
            {
                var length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                cancel.CancelAfter(idle);
                await DatagramFraming.WriteAsync(stream, buffer.AsMemory(0, length), cancel.Token);
                rule.Counters.AddOut(length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
