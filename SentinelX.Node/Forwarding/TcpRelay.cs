using System.Net;
using System.Net.Sockets;
using SentinelX.Node.Forwarding.Copy;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Node.Forwarding.Targets;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>One TCP connection through a rule: to the next hop of its chain, or to a target.</summary>
internal static class TcpRelay
{
    private static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A client connection accepted on an entry listener.</summary>
    public static async Task HandleEntryAsync(ForwardRule rule, Socket client)
    {
        var p = rule.Placement;
        if (rule.Counters.Blocked || !rule.Counters.TryOpen(p.MaxConnections))
        {
            // Full or blocked: close at once, so the client sees a refusal rather than a hang.
            client.Dispose();
            return;
        }

        try
        {
            client.NoDelay = true;
            var clientEndpoint = (IPEndPoint)client.RemoteEndPoint!;
            var ct = rule.ConnectionsClosing;
            if (p.Next is { } next)
            {
                await using var hop = await DialHopAsync(next, rule.Credentials, new HopPreamble(HopKind.Tcp, p.RuleId, next.Secret, clientEndpoint), ct);
                if (hop is NetworkStream plainHop && !rule.Counters.Limited)
                {
                    // A plain tcp hop is a socket like a target: zero-copy, as a direct rule is.
                    await using var aborting = ct.Register(() =>
                    {
                        Abort(client);
                        Abort(plainHop.Socket);
                    });
                    await SpliceCopier.RunAsync(client, plainHop.Socket, rule.Counters.AddIn, rule.Counters.AddOut);
                    return;
                }

                await using var stream = new NetworkStream(client, ownsSocket: false);
                await using var closing = ct.Register(() => Abort(client));
                await StreamCopier.RunAsync(stream, hop, rule.Counters, ct);
            }
            else
            {
                await ToTargetAsync(rule, client, clientEndpoint, (IPEndPoint)client.LocalEndPoint!, ct);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or NotSupportedException
            or TimeoutException or System.Security.Authentication.AuthenticationException)
        {
        }
        finally
        {
            rule.Counters.Close();
            client.Dispose();
        }
    }

    /// <summary>
    /// Connects a target and copies: splice when both ends are plain sockets and no limit applies,
    /// otherwise the pooled copier through the rule's buckets.
    /// </summary>
    public static async Task ToTargetAsync(ForwardRule rule, Socket client, IPEndPoint clientEndpoint, IPEndPoint reached, CancellationToken ct)
    {
        using var target = await rule.Targets!.ConnectAsync(ct);
        if (rule.Placement.ProxyProtocol is 1 or 2)
            await target.SendAsync(ProxyProtocolHeader.Build(rule.Placement.ProxyProtocol, clientEndpoint, reached), ct);
        await using var closing = ct.Register(() =>
        {
            Abort(client);
            Abort(target);
        });
        if (!rule.Counters.Limited)
        {
            await SpliceCopier.RunAsync(client, target, rule.Counters.AddIn, rule.Counters.AddOut);
            return;
        }

        await using var clientStream = new NetworkStream(client, ownsSocket: false);
        await using var targetStream = new NetworkStream(target, ownsSocket: false);
        await StreamCopier.RunAsync(clientStream, targetStream, rule.Counters, ct);
    }

    /// <summary>Dials the next hop and answers its challenge with the preamble; the returned stream carries the connection.</summary>
    public static async Task<Stream> DialHopAsync(HopDial next, HopCredentials? credentials, HopPreamble preamble, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(DialTimeout);
        var stream = await HopTransport.DialAsync(next, credentials, timeout.Token);
        try
        {
            await preamble.SendAsync(stream, timeout.Token);
            return stream;
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            await stream.DisposeAsync();
            throw new TimeoutException($"hop {next.Host}:{next.Port} sent no hop protocol {HopPreamble.Version} challenge within {DialTimeout.TotalSeconds:0} s", ex);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    public static void Abort(Socket socket)
    {
        try
        {
            // shutdown wakes a thread blocked in splice on this socket; close alone would not.
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
