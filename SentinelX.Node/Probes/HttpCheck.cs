using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Probes;

/// <summary>
/// An HTTP(S) GET on a fresh connection: the status must match, the keyword (if any) must be in the
/// first 1 MiB of the body, and for https the certificate must be trusted; its NotAfter is reported
/// either way, so an untrusted or expiring certificate still shows when it runs out. No proxy, no
/// redirects followed, no cookies, no compression: the check sees what the server itself answers.
/// The framework's HTTP stack is in the Node already (enrollment, Docker), so this costs little size;
/// <see cref="SocketsHttpHandler.AutomaticDecompression"/> is left alone on purpose: setting it, even
/// to None, links the Brotli and Deflate decoders into the binary (about 1 MB).
/// </summary>
internal static class HttpCheck
{
    private const int ScanChunk = 16 * 1024;

    public static async Task<ProbeOutcome> RunAsync(ProbeDefinition probe, CancellationToken ct)
    {
        if (!ProbeTargets.TryParseHttpUrl(probe.Target, out var url, out var why)) throw new ArgumentException(why, nameof(probe));
        DateTimeOffset? expires = null;
        string? untrusted = null;
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    if (certificate is X509Certificate2 served) expires = new DateTimeOffset(served.NotAfter.ToUniversalTime());
                    untrusted = errors == SslPolicyErrors.None ? null : TrustProblem(errors, chain, url.IdnHost);
                    return untrusted is null;
                },
            },
        };
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("sentinelx-node", NodeVersion.Current));
        request.Headers.ConnectionClose = true;

        var start = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException) when (untrusted is not null)
        {
            return new ProbeOutcome(false, Error: "TLS certificate not trusted: " + untrusted, CertificateExpiresAt: expires);
        }

        using (response)
        {
            var latency = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var status = (int)response.StatusCode;
            var statusOk = probe.ExpectStatus is { } expected ? status == expected : status is >= 200 and <= 399;
            if (!statusOk)
                return new ProbeOutcome(false, latency, $"HTTP {status} (expected {(probe.ExpectStatus is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "200–399")})", expires);
            if (probe.Keyword is { } keyword && !await ContainsAsync(response.Content, Encoding.UTF8.GetBytes(keyword), ct))
                return new ProbeOutcome(false, latency, "keyword not found in the first 1 MiB of the body", expires);
            return new ProbeOutcome(true, latency, CertificateExpiresAt: expires);
        }
    }

    /// <summary>Whether <paramref name="needle"/> occurs in the first <see cref="ProbeLimits.KeywordScanBytes"/> of the body, read in small pieces.</summary>
    internal static async Task<bool> ContainsAsync(HttpContent content, byte[] needle, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ScanChunk + needle.Length);
        try
        {
            await using var body = await content.ReadAsStreamAsync(ct);
            var kept = 0;
            var scanned = 0;
            while (scanned < ProbeLimits.KeywordScanBytes)
            {
                var room = Math.Min(buffer.Length - kept, ProbeLimits.KeywordScanBytes - scanned);
                var read = await body.ReadAsync(buffer.AsMemory(kept, room), ct);
                if (read == 0) return false;
                scanned += read;
                var filled = kept + read;
                if (buffer.AsSpan(0, filled).IndexOf(needle) >= 0) return true;
                // The keyword may straddle two reads: keep the tail that could be its beginning.
                kept = Math.Min(needle.Length - 1, filled);
                buffer.AsSpan(filled - kept, kept).CopyTo(buffer);
            }

            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Why the certificate is not trusted, in words: "self-signed or from an unknown authority", "expired", "not valid for example.com".</summary>
    private static string TrustProblem(SslPolicyErrors errors, X509Chain? chain, string host)
    {
        var problems = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) problems.Add("the server sent no certificate");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) problems.Add($"not valid for {host}");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            foreach (var status in chain?.ChainStatus ?? [])
            {
                var text = status.Status switch
                {
                    X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain => "self-signed or from an unknown authority",
                    X509ChainStatusFlags.NotTimeValid => "expired or not yet valid",
                    X509ChainStatusFlags.Revoked => "revoked",
                    _ => status.Status.ToString(),
                };
                if (!problems.Contains(text)) problems.Add(text);
            }

            if (problems.Count == 0) problems.Add("the chain does not verify");
        }

        return string.Join(", ", problems);
    }
}
