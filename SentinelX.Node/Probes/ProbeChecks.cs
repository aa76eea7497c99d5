using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Probes;

/// <summary>The real checks, one per probe type; each throws on failures the runner describes (<see cref="ProbeErrors"/>).</summary>
internal static class ProbeChecks
{
    public static Task<ProbeOutcome> RunAsync(ProbeDefinition probe, CancellationToken ct) => probe.Type switch
    {
        ProbeTypes.Icmp => IcmpEcho.CheckAsync(probe.Target, ct),
        ProbeTypes.Tcp => TcpAsync(probe.Target, ct),
        ProbeTypes.Http => HttpCheck.RunAsync(probe, ct),
        ProbeTypes.Dns => DnsCheck.RunAsync(probe, ct),
        _ => throw new ArgumentException($"unknown probe type {probe.Type}", nameof(probe)),
    };

    /// <summary>Latency is the connect alone (the three-way handshake), not the name lookup before it.</summary>
    public static async Task<ProbeOutcome> TcpAsync(string target, CancellationToken ct)
    {
        if (!ProbeTargets.TryParseHostPort(target, out var host, out var port)) throw new ArgumentException($"not host:port: {target}", nameof(target));
        var address = await ResolveAsync(host, ct);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var start = Stopwatch.GetTimestamp();
        await socket.ConnectAsync(new IPEndPoint(address, port), ct);
        return new ProbeOutcome(true, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>The first address the system's resolver gives (its own order, as every other program on the server sees it).</summary>
    public static async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var literal)) return literal;
        var addresses = await Dns.GetHostAddressesAsync(host, ct);
        return addresses.Length > 0 ? addresses[0] : throw new SocketException((int)SocketError.HostNotFound);
    }
}

/// <summary>Turns what went wrong in a check into the short text a person reads next to the probe.</summary>
internal static class ProbeErrors
{
    public static string Describe(Exception ex) => ex switch
    {
        SocketException socket => socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.ConnectionReset => "connection reset",
            SocketError.HostNotFound or SocketError.NoData => "the host name does not resolve",
            SocketError.TryAgain => "the host name could not be resolved now (temporary DNS failure)",
            SocketError.NetworkUnreachable => "network unreachable",
            SocketError.HostUnreachable => "host unreachable",
            SocketError.TimedOut => "timed out",
            SocketError.AccessDenied => "permission denied",
            _ => socket.Message,
        },
        AuthenticationException auth => "TLS handshake failed: " + (auth.InnerException?.Message ?? auth.Message),
        HttpRequestException { InnerException: { } inner } => Describe(inner),
        IOException { InnerException: { } inner } when inner is SocketException or AuthenticationException => Describe(inner),
        _ => ex.Message,
    };

    /// <summary>One line of at most <see cref="ProbeLimits.MaxErrorLength"/> characters, as the Core accepts it.</summary>
    public static string? Clean(string? error)
    {
        if (error is null) return null;
        var line = new StringBuilder(Math.Min(error.Length, ProbeLimits.MaxErrorLength));
        foreach (var c in error)
        {
            if (line.Length == ProbeLimits.MaxErrorLength) break;
            line.Append(char.IsControl(c) ? ' ' : c);
        }

        // Never half of a character cut at the limit.
        if (line.Length > 0 && char.IsHighSurrogate(line[^1])) line.Length--;
        return line.ToString().Trim();
    }
}
