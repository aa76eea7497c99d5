using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Shared.Protocol;

namespace SentinelX.Tests.Forwarding.Hops;

/// <summary>A forwarding CA and hop certificates shaped like the Core's: ECDSA P-256, node id as the CN.</summary>
internal static class TestHopCertificates
{
    public static X509Certificate2 CreateAuthority(string name = "SentinelX forwarding CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>Credentials for <paramref name="nodeId"/>, going through PEM as a forward.sync delivers them.</summary>
    public static HopCredentials Issue(X509Certificate2 authority, string nodeId) =>
        HopCredentials.FromPem(IssuePem(authority, nodeId));

    public static ForwardCredentials IssuePem(X509Certificate2 authority, string nodeId)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={nodeId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var leaf = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        return new ForwardCredentials
        {
            CaCertificatePem = authority.ExportCertificatePem(),
            CertificatePem = leaf.ExportCertificatePem(),
            PrivateKeyPem = key.ExportPkcs8PrivateKeyPem(),
        };
    }
}
