using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// The forwarding CA: an ECDSA P-256 key and self-signed certificate created once in
/// <c>DATA/forward-ca.pem</c> (mode 0600), issuing each Node a certificate with its node id as the
/// subject CN for tls and wss hops. Hops trust only this CA, so no public CA or domain is needed.
/// A Node's certificate and key are kept in <c>DATA/forward-certs/&lt;node id&gt;.pem</c> (0600) and
/// handed out again on every push and after a Core restart, so the Node's hop listeners (and the
/// chain connections through them) carry on; a new one is issued 30 days before the old one expires.
/// </summary>
public sealed class ForwardCa(string dataDir, TimeProvider time, ILogger<ForwardCa>? logger = null)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafValidity = TimeSpan.FromDays(365);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private readonly Lock _lock = new();
    private readonly Lock _issuing = new();
    private readonly ConcurrentDictionary<string, ForwardCredentials> _issued = new(StringComparer.Ordinal);
    private X509Certificate2? _ca;

    public string Path { get; } = System.IO.Path.Combine(dataDir, "forward-ca.pem");

    /// <summary>The CA certificate (without its key), creating the CA on first use.</summary>
    public X509Certificate2 Certificate => X509CertificateLoader.LoadCertificate(Ca().RawData);

    /// <summary>The certificate, key and CA certificate for <paramref name="nodeId"/>'s hops.</summary>
    public ForwardCredentials For(string nodeId)
    {
        if (_issued.TryGetValue(nodeId, out var credentials) && !NeedsRenewal(credentials)) return credentials;
        // One at a time, so two pushes never issue (and keep) two different certificates for one Node.
        lock (_issuing)
        {
            if (_issued.TryGetValue(nodeId, out credentials) && !NeedsRenewal(credentials)) return credentials;
            // First use since the Core started: the kept certificate, unless it is due for renewal.
            var kept = credentials is null ? Kept(nodeId) : null;
            if (kept is null || NeedsRenewal(kept))
            {
                kept = Issue(nodeId);
                Keep(nodeId, kept);
            }

            _issued[nodeId] = kept;
            return kept;
        }
    }

    private string? KeptPath(string nodeId) =>
        nodeId.Length is > 0 and <= 64 && nodeId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "forward-certs", nodeId + ".pem")
            : null;

    /// <summary>The credentials kept for <paramref name="nodeId"/>, when there are any that this CA issued.</summary>
    private ForwardCredentials? Kept(string nodeId)
    {
        if (KeptPath(nodeId) is not { } path || !File.Exists(path)) return null;
        try
        {
            var pem = File.ReadAllText(path);
            using var leaf = X509Certificate2.CreateFromPem(pem, pem);
            using var authority = Certificate;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
            try
            {
                if (!chain.Build(leaf) || leaf.GetNameInfo(X509NameType.SimpleName, forIssuer: false) != nodeId) return null;
            }
            finally
            {
                foreach (var element in chain.ChainElements) element.Certificate.Dispose();
            }

            // Handed out as written, character for character: the Node restarts its hop listeners
            // only when the credentials it is sent differ from the ones it has.
            var certificate = PemEncoding.Find(pem);
            var rest = pem[certificate.Location.End.Value..];
            var key = PemEncoding.Find(rest);
            return new ForwardCredentials
            {
                CaCertificatePem = authority.ExportCertificatePem(),
                CertificatePem = pem[certificate.Location],
                PrivateKeyPem = rest[key.Location],
            };
        }
        catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            // Unreadable or from another CA (the CA file was replaced): a new one is issued and kept instead.
            return null;
        }
    }

    private void Keep(string nodeId, ForwardCredentials credentials)
    {
        if (KeptPath(nodeId) is not { } path) return;
        try
        {
            WriteOwnerOnly(path, credentials.CertificatePem + "\n" + credentials.PrivateKeyPem + "\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The Node still gets its certificate; only a Core restart will issue it a new one.
            logger?.LogWarning(ex, "Could not keep the hop certificate of node {Node} in {Path}", nodeId, path);
        }
    }

    private bool NeedsRenewal(ForwardCredentials credentials)
    {
        using var leaf = X509Certificate2.CreateFromPem(credentials.CertificatePem);
        return leaf.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime < RenewBefore;
    }

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
        WriteOwnerOnly(Path, cert.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        return Load();
    }

    /// <summary>Written 0600 from the start and renamed into place, like the enrollment key.</summary>
    private static void WriteOwnerOnly(string path, string text)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly };
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);

        File.SetUnixFileMode(temp, OwnerOnly);
        File.Move(temp, path, overwrite: true);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("+", "\\+").Replace("=", "\\=").Replace("\"", "\\\"");
}
