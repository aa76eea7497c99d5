using System.Security.Cryptography.X509Certificates;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Hops;

/// <summary>This Node's hop certificate (with its key) and the Core's forwarding CA, for tls and wss hops.</summary>
internal sealed class HopCredentials(X509Certificate2 certificate, X509Certificate2 authority) : IDisposable
{
    public X509Certificate2 Certificate => certificate;
    public X509Certificate2 Authority => authority;

    public static HopCredentials FromPem(ForwardCredentials pem) => new(
        X509Certificate2.CreateFromPem(pem.CertificatePem, pem.PrivateKeyPem),
        X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(pem.CaCertificatePem).RawData));

    public void Dispose()
    {
        certificate.Dispose();
        authority.Dispose();
    }
}
