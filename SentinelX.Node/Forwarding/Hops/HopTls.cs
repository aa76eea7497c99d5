using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>
/// TLS settings for tls and wss hops. Peers trust only the Core's forwarding CA and the node id the
/// Core named, never the system's public CAs (except a wss dialer talking to a CDN, see <see cref="ClientOptions"/>).
/// </summary>
internal static class HopTls
{
    // TLS 1.3 is what both Nodes negotiate; 1.2 stays allowed for an older OpenSSL or a CDN edge.
    private const SslProtocols Protocols = SslProtocols.Tls13 | SslProtocols.Tls12;

    /// <summary>
    /// tls: present this Node's certificate and require the next hop's. wss: present none (a CDN in
    /// between could not pass it on) and accept either the next hop's certificate or one the system
    /// trusts for the SNI name, which is what a CDN edge presents.
    /// </summary>
    public static SslClientAuthenticationOptions ClientOptions(HopDial next, HopCredentials? credentials)
    {
        if (next.Transport == HopTransports.Tls)
        {
            if (credentials is null) throw new InvalidOperationException("a tls hop needs this node's hop certificate");
            return new SslClientAuthenticationOptions
            {
                TargetHost = next.Host,
                EnabledSslProtocols = Protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ClientCertificateContext = credentials.Context,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => IsPeer(certificate, credentials.Authority, next.PeerNodeId),
            };
        }

        return new SslClientAuthenticationOptions
        {
            TargetHost = next.HostHeader ?? next.Host,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // A CDN that also speaks h2 must not pick it: the upgrade that follows is HTTP/1.1.
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None
                || (credentials is not null && IsPeer(certificate, credentials.Authority, next.PeerNodeId)),
        };
    }

    /// <summary>tls: require the previous hop's certificate. wss: ask for none; the hop challenge (HMAC with the hop secret) guards it.</summary>
    public static SslServerAuthenticationOptions ServerOptions(HopListen listen, HopCredentials credentials)
    {
        var mutual = listen.Transport == HopTransports.Tls;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = credentials.Context,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificateRequired = mutual,
            ApplicationProtocols = mutual ? null : [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = mutual
                ? (_, certificate, _, _) => IsPeer(certificate, credentials.Authority, listen.PeerNodeId)
                : null,
        };
    }

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="authority"/> alone and names <paramref name="nodeId"/>.</summary>
    public static bool IsPeer(X509Certificate? certificate, X509Certificate2 authority, string nodeId)
    {
        if (certificate is null) return false;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        try
        {
            return chain.Build(leaf)
                && string.Equals(leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false), nodeId, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var element in chain.ChainElements) element.Certificate.Dispose();
        }
    }
}
