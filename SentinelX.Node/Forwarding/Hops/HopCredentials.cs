using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>This Node's hop certificate (with its key) and the Core's forwarding CA, for tls and wss hops.</summary>
internal sealed class HopCredentials : IDisposable
{
    private readonly X509Certificate2 _serving;

    public HopCredentials(X509Certificate2 certificate, X509Certificate2 authority)
    {
        Certificate = certificate;
        Authority = authority;
        // A key imported from PEM is ephemeral; some TLS back ends refuse to sign a handshake with
        // one. A PKCS#12 round trip gives a certificate whose key every platform accepts.
        _serving = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
        // Sending the CA along costs a few hundred bytes and lets the peer build the chain even if
        // the Core ever inserts an intermediate.
        Context = SslStreamCertificateContext.Create(_serving, [authority], offline: true);
    }

    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Authority { get; }

    /// <summary>The certificate and chain presented on both sides of a tls hop and by a wss listener.</summary>
    public SslStreamCertificateContext Context { get; }

    public static HopCredentials FromPem(ForwardCredentials pem)
    {
        using var authority = X509Certificate2.CreateFromPem(pem.CaCertificatePem);
        return new(X509Certificate2.CreateFromPem(pem.CertificatePem, pem.PrivateKeyPem),
            X509CertificateLoader.LoadCertificate(authority.RawData));
    }

    public void Dispose()
    {
        _serving.Dispose();
        Certificate.Dispose();
        Authority.Dispose();
    }
}
