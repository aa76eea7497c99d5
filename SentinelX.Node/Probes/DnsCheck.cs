using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Probes;

/// <summary>
/// An A or AAAA query over UDP to one server: a NOERROR answer with at least one record of that type
/// is up; NXDOMAIN, SERVFAIL, an empty answer, a malformed reply or silence is down, with the reason.
/// The socket is connected to the server, so datagrams from anywhere else never arrive, and a reply
/// whose id or question is not this query's is ignored (a late answer to an earlier check, or a forgery).
/// </summary>
internal static class DnsCheck
{
    public const string ResolvConf = "/etc/resolv.conf";

    public static Task<ProbeOutcome> RunAsync(ProbeDefinition probe, CancellationToken ct)
    {
        var server = probe.DnsServer is { } text
            ? ProbeTargets.TryParseDnsServer(text, out var given) ? given : throw new ArgumentException($"not a DNS server: {text}", nameof(probe))
            : SystemServer(ResolvConf);
        if (server is null) return Task.FromResult(new ProbeOutcome(false, Error: $"no nameserver in {ResolvConf}; set dnsServer on the probe"));
        var type = probe.RecordType == DnsRecordTypes.Aaaa ? DnsMessage.TypeAaaa : DnsMessage.TypeA;
        return QueryAsync(server, probe.Target, type, ct);
    }

    /// <summary>The first <c>nameserver</c> of a resolv.conf, as the C library would ask it first; null when there is none.</summary>
    public static IPEndPoint? SystemServer(string path)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (words is ["nameserver", var address, ..] && IPAddress.TryParse(address, out var ip)) return new IPEndPoint(ip, ProbeTargets.DnsPort);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    public static async Task<ProbeOutcome> QueryAsync(IPEndPoint server, string name, ushort type, CancellationToken ct)
    {
        Span<byte> random = stackalloc byte[2];
        Native.FillRandom(random);
        var id = (ushort)(random[0] << 8 | random[1]);
        var query = new byte[DnsMessage.MaxQuerySize];
        var length = DnsMessage.WriteQuery(query, id, name, type);
        // Without EDNS a server answers in at most 512 bytes; a little more room shows a longer answer as itself.
        var buffer = new byte[1500];

        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, ct);
        var start = Stopwatch.GetTimestamp();
        await socket.SendAsync(query.AsMemory(0, length), SocketFlags.None, ct);
        while (true)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return new ProbeOutcome(false, Error: $"nothing answers DNS on {server} (port unreachable)");
            }

            var latency = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            DnsReply reply;
            try
            {
                reply = DnsMessage.Read(buffer.AsSpan(0, received));
            }
            catch (InvalidDataException ex)
            {
                return new ProbeOutcome(false, latency, $"malformed DNS reply from {server}: {ex.Message}");
            }

            if (reply.Id != id || !reply.IsResponse || reply.QuestionType != type
                || !string.Equals(reply.QuestionName.TrimEnd('.'), name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
                continue;
            return Judge(reply, type, latency);
        }
    }

    private static ProbeOutcome Judge(DnsReply reply, ushort type, double latency)
    {
        var kind = type == DnsMessage.TypeAaaa ? DnsRecordTypes.Aaaa : DnsRecordTypes.A;
        if (reply.ResponseCode != DnsMessage.ResponseNoError)
        {
            var error = reply.ResponseCode switch
            {
                DnsMessage.ResponseNameError => "NXDOMAIN: the name does not exist",
                DnsMessage.ResponseServerFailure => "SERVFAIL: the server could not answer",
                DnsMessage.ResponseRefused => "REFUSED: the server does not answer this query",
                var code => string.Create(CultureInfo.InvariantCulture, $"the server answered with error code {code}"),
            };
            return new ProbeOutcome(false, latency, error);
        }

        if (reply.Answers.Any(r => r.Type == type && r.Class == DnsMessage.ClassIn)) return new ProbeOutcome(true, latency);
        return new ProbeOutcome(false, latency, reply.Truncated
            ? $"the answer was truncated before any {kind} record"
            : $"no {kind} record (NOERROR with an empty answer)");
    }
}
