using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// The forwarding CA: an ECDSA P-256 key and self-signed certificate created once in
/// <c>DATA/forward-ca.pem</c> (mode 0600), issuing each Node a certificate with its node id as the
/// subject CN for tls and wss hops. Hops trust only this CA, so no public CA or domain is needed.
/// Leaf certificates are issued once per Node per Core run and reused, so re-pushes do not change
/// a Node's credentials.
/// </summary>
public sealed class ForwardCa(string dataDir, TimeProvider time)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafValidity = TimeSpan.FromDays(365);

    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, ForwardCredentials> _issued = new(StringComparer.Ordinal);
    private X509Certificate2? _ca;

    public string Path { get; } = System.IO.Path.Combine(dataDir, "forward-ca.pem");

    /// <summary>The CA certificate (without its key), creating the CA on first use.</summary>
    public X509Certificate2 Certificate => X509CertificateLoader.LoadCertificate(Ca().RawData);

    /// <summary>The certificate, key and CA certificate for <paramref name="nodeId"/>'s hops.</summary>
    public ForwardCredentials For(string nodeId) => _issued.GetOrAdd(nodeId, Issue);

    private ForwardCredentials Issue(string nodeId)
    {
        var ca = Ca();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(nodeId)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "serverAuth"), new Oid("1.3.6.1.5.5.7.3.2", "clientAuth")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(nodeId);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = time.GetUtcNow();
        using var leaf = request.Create(ca, now.AddMinutes(-5), now + LeafValidity, RandomNumberGenerator.GetBytes(16));
        return new ForwardCredentials
        {
            CaCertificatePem = ca.ExportCertificatePem(),
            CertificatePem = leaf.ExportCertificatePem(),
            PrivateKeyPem = key.ExportPkcs8PrivateKeyPem(),
        };
    }

    private X509Certificate2 Ca()
    {
        lock (_lock)
        {
            if (_ca is not null) return _ca;
            _ca = File.Exists(Path) ? Load() : Create();
            return _ca;
        }
    }

    private X509Certificate2 Load()
    {
        var pem = File.ReadAllText(Path);
        using var cert = X509Certificate2.CreateFromPem(pem, pem);
        // Re-imported so the key is usable for signing on every platform (PEM-loaded keys are ephemeral).
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=SentinelX forwarding CA"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var cert = request.CreateSelfSigned(now.AddMinutes(-5), now + CaValidity);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        // Written 0600 from the start and renamed into place, like the enrollment key.
        var temp = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly };
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(cert.ExportCertificatePem());
            writer.Write('\n');
            writer.Write(key.ExportPkcs8PrivateKeyPem());
            writer.Write('\n');
        }

        File.SetUnixFileMode(temp, OwnerOnly);
        File.Move(temp, Path, overwrite: true);
        return Load();
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("+", "\\+").Replace("=", "\\=").Replace("\"", "\\\"");
}
