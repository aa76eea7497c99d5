using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using SentinelX.Shared.Protocol;

namespace SentinelX.Shared.Validation;

/// <summary>
/// Checks on probe definitions (the Node checks every <c>probe.sync</c>; the Core can check what an
/// admin enters with the same code) and on the results a Node sends, so neither side stores garbage.
/// </summary>
public static partial class ProbeValidation
{
    /// <summary>Returns why a probe set is unacceptable (naming the probe), or null when every probe in it may run.</summary>
    public static string? Validate(ProbeSyncParams set)
    {
        if (set.Probes.Count > ProbeLimits.MaxProbes) return $"at most {ProbeLimits.MaxProbes} probes per node";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var probe in set.Probes)
        {
            // A JSON null inside the array binds as a null element.
            if (probe is null) return "every probe must be an object";
            if (Validate(probe) is { } error) return IsValidId(probe.Id) ? $"probe {probe.Id}: {error}" : error;
            if (!ids.Add(probe.Id)) return $"probe id {probe.Id} is used twice";
        }

        return null;
    }

    /// <summary>Returns why one definition is unacceptable, or null.</summary>
    public static string? Validate(ProbeDefinition probe)
    {
        if (!IsValidId(probe.Id)) return $"id must be 1 to {ProbeLimits.MaxIdLength} of A-Z a-z 0-9 _ . : - starting with a letter or digit";
        if (!ProbeTypes.IsKnown(probe.Type)) return "type must be icmp, tcp, http or dns";
        if (probe.IntervalSeconds is < ProbeLimits.MinIntervalSeconds or > ProbeLimits.MaxIntervalSeconds)
            return $"intervalSeconds must be within {ProbeLimits.MinIntervalSeconds}–{ProbeLimits.MaxIntervalSeconds}";
        if (probe.TimeoutMs is < ProbeLimits.MinTimeoutMs or > ProbeLimits.MaxTimeoutMs)
            return $"timeoutMs must be within {ProbeLimits.MinTimeoutMs}–{ProbeLimits.MaxTimeoutMs}";
        if (probe.Target.Length is 0 or > ProbeLimits.MaxTargetLength) return $"target must be 1 to {ProbeLimits.MaxTargetLength} characters";
        if (HasControl(probe.Target)) return "target must not contain control characters";
        if (probe.Type != ProbeTypes.Http && (probe.Keyword is not null || probe.ExpectStatus is not null))
            return "keyword and expectStatus belong to http probes only";
        if (probe.Type != ProbeTypes.Dns && (probe.DnsServer is not null || probe.RecordType is not null))
            return "dnsServer and recordType belong to dns probes only";

        switch (probe.Type)
        {
            case ProbeTypes.Icmp:
                return ProbeTargets.IsHost(probe.Target) ? null : "target must be a host name or an IP address";
            case ProbeTypes.Tcp:
                return ProbeTargets.TryParseHostPort(probe.Target, out _, out _) ? null : "target must be host:port ([v6]:port for IPv6), port 1–65535";
            case ProbeTypes.Http:
                if (!ProbeTargets.TryParseHttpUrl(probe.Target, out _, out var why)) return why;
                if (probe.Keyword is { } keyword && (keyword.Length is 0 or > ProbeLimits.MaxKeywordLength || HasControl(keyword)))
                    return $"keyword must be 1 to {ProbeLimits.MaxKeywordLength} characters without control characters";
                return probe.ExpectStatus is < 100 or > 599 ? "expectStatus must be an HTTP status code, 100–599" : null;
            default:
                if (!ProbeTargets.IsDnsName(probe.Target)) return "target must be a DNS name to resolve";
                if (probe.DnsServer is { } server && (HasControl(server) || !ProbeTargets.TryParseDnsServer(server, out _)))
                    return "dnsServer must be an IP address with an optional port (9.9.9.9, 9.9.9.9:53, [2620:fe::fe]:53)";
                return probe.RecordType is null || DnsRecordTypes.IsKnown(probe.RecordType) ? null : "recordType must be A or AAAA";
        }
    }

    /// <summary>Returns why the results on one sample are unacceptable, or null (also for none).</summary>
    public static string? Validate(IReadOnlyList<ProbeResult>? results)
    {
        if (results is null) return null;
        if (results.Count > ProbeLimits.MaxResultsPerSample) return $"at most {ProbeLimits.MaxResultsPerSample} probe results per sample";
        foreach (var result in results)
        {
            if (result is null) return "every probe result must be an object";
            if (!IsValidId(result.ProbeId)) return "probe result ids must be probe ids";
            if (result.At.Year < 2000 || result.At > DateTimeOffset.UtcNow.AddDays(1)) return $"probe result {result.ProbeId}: time out of range";
            if (result.LatencyMs is { } latency && !(double.IsFinite(latency) && latency is >= 0 and <= ProbeLimits.MaxLatencyMs))
                return $"probe result {result.ProbeId}: latencyMs must be within 0–{ProbeLimits.MaxLatencyMs:0}";
            if (result.Error is { } error && (error.Length > ProbeLimits.MaxErrorLength || HasControl(error)))
                return $"probe result {result.ProbeId}: error must be at most {ProbeLimits.MaxErrorLength} characters without control characters";
            // X.509 dates start in 1950 (UTCTime); anything earlier did not come from a certificate.
            if (result.CertificateExpiresAt is { Year: < 1950 }) return $"probe result {result.ProbeId}: certificateExpiresAt out of range";
        }

        return null;
    }

    public static bool IsValidId(string? id) => id is { Length: > 0 and <= ProbeLimits.MaxIdLength } && IdPattern().IsMatch(id);

    private static bool HasControl(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c)) return true;
        }

        return false;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
    private static partial Regex IdPattern();
}

/// <summary>The target forms of probes, parsed the same way where they are checked and where they run.</summary>
public static class ProbeTargets
{
    public const int DnsPort = 53;

    /// <summary>A DNS name of letters, digits, <c>-</c> and <c>_</c>: labels of 1–63, at most 253 in all, an optional final dot.</summary>
    public static bool IsDnsName(string name)
    {
        var text = name.EndsWith('.') ? name[..^1] : name;
        if (text.Length is 0 or > 253) return false;
        foreach (var label in text.Split('.'))
        {
            if (label.Length is 0 or > 63) return false;
            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_') return false;
            }
        }

        return true;
    }

    /// <summary>A DNS name, an IPv4 address or an unbracketed IPv6 address.</summary>
    public static bool IsHost(string host) => host.Contains(':', StringComparison.Ordinal) ? IsIPv6Literal(host) : IsDnsName(host);

    /// <summary><c>host:port</c>, with IPv6 addresses in brackets (<c>[::1]:443</c>).</summary>
    public static bool TryParseHostPort(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        string hostPart;
        string portPart;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':') return false;
            hostPart = text[1..close];
            portPart = text[(close + 2)..];
            if (!IsIPv6Literal(hostPart)) return false;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0) return false;
            hostPart = text[..colon];
            portPart = text[(colon + 1)..];
            if (!IsDnsName(hostPart)) return false;
        }

        // NumberStyles.None: digits only, no sign, no spaces.
        if (portPart.Length > 5 || !int.TryParse(portPart, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535) return false;
        host = hostPart;
        return true;
    }

    /// <summary>A DNS server: an IP address alone (port 53), <c>ip:port</c> or <c>[v6]:port</c>.</summary>
    public static bool TryParseDnsServer(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (IsIPv6Literal(text) || (!text.Contains(':', StringComparison.Ordinal) && IsDnsName(text)))
        {
            if (!IsAddress(text, out var alone)) return false;
            endpoint = new IPEndPoint(alone, DnsPort);
            return true;
        }

        if (!TryParseHostPort(text, out var host, out var port) || !IsAddress(host, out var address)) return false;
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>An IP address as people write it: IPv6, or IPv4 as four dotted numbers (not the "10.1" shorthands IPAddress also takes).</summary>
    private static bool IsAddress(string text, out IPAddress address) =>
        IPAddress.TryParse(text, out address!)
        && (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || text.Split('.').Length == 4);

    /// <summary>An absolute http or https URL without credentials in it; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParseHttpUrl(string text, out Uri url, out string error)
    {
        error = "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out url!) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
        {
            error = "target must be an http:// or https:// URL";
            return false;
        }

        if (url.UserInfo.Length > 0)
        {
            error = "target must not carry credentials (user:password@)";
            return false;
        }

        return true;
    }

    private static bool IsIPv6Literal(string text) =>
        text.Contains(':', StringComparison.Ordinal) && text.IndexOfAny(['[', ' ', '\t']) < 0
        && IPAddress.TryParse(text, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
}
