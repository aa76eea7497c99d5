using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using SentinelX.App.Features.Forwards;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>The forwarding CA: created once with owner-only permissions, issuing Node certificates that chain to it.</summary>
public sealed class ForwardCaTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sentinelx-ca-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_node_certificate_validates_against_the_ca_and_names_the_node()
    {
        var ca = new ForwardCa(_dir, TimeProvider.System);

        var credentials = ca.For("node-7f3a");

        using var leaf = X509Certificate2.CreateFromPem(credentials.CertificatePem, credentials.PrivateKeyPem);
        using var caCert = X509Certificate2.CreateFromPem(credentials.CaCertificatePem);
        leaf.GetNameInfo(X509NameType.SimpleName, false).Should().Be("node-7f3a");
        leaf.HasPrivateKey.Should().BeTrue();
        leaf.GetECDsaPublicKey()!.KeySize.Should().Be(256);
        leaf.NotAfter.Should().BeCloseTo(DateTime.Now.AddDays(365), TimeSpan.FromMinutes(10));
        var usages = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value);
        usages.Should().BeEquivalentTo(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(caCert);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(leaf).Should().BeTrue(string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        // Another CA does not vouch for it.
        using var strangerDir = new TempDir();
        using var stranger = X509Certificate2.CreateFromPem(new ForwardCa(strangerDir.Path, TimeProvider.System).For("x").CaCertificatePem);
        using var other = new X509Chain();
        other.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        other.ChainPolicy.CustomTrustStore.Add(stranger);
        other.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        other.Build(leaf).Should().BeFalse();
    }

    [Fact]
    public void The_ca_is_kept_owner_only_and_reused_after_a_restart()
    {
        var first = new ForwardCa(_dir, TimeProvider.System).For("n1").CaCertificatePem;

        File.GetUnixFileMode(Path.Combine(_dir, "forward-ca.pem")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var again = new ForwardCa(_dir, TimeProvider.System);
        again.For("n2").CaCertificatePem.Should().Be(first);
        again.For("n2").Should().BeSameAs(again.For("n2"), "a Node gets the same credentials on every push");
    }

    [Fact]
    public void A_node_gets_the_same_certificate_after_a_core_restart_and_a_new_one_near_expiry()
    {
        var clock = new MovableClock(DateTimeOffset.UtcNow);
        var first = new ForwardCa(_dir, clock).For("n1");

        var kept = Path.Combine(_dir, "forward-certs", "n1.pem");
        File.GetUnixFileMode(kept).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        new ForwardCa(_dir, clock).For("n1").Should().Be(first, "a restarted Core hands out the kept certificate, so hop listeners need not restart");

        clock.Now += TimeSpan.FromDays(340);
        var renewed = new ForwardCa(_dir, clock).For("n1");
        renewed.CertificatePem.Should().NotBe(first.CertificatePem, "25 days before expiry a new certificate is issued");
        new ForwardCa(_dir, clock).For("n1").Should().Be(renewed);
    }

    [Fact]
    public void A_kept_certificate_from_another_ca_is_replaced()
    {
        var first = new ForwardCa(_dir, TimeProvider.System).For("n1");
        File.Delete(Path.Combine(_dir, "forward-ca.pem"));

        var again = new ForwardCa(_dir, TimeProvider.System).For("n1");

        again.CaCertificatePem.Should().NotBe(first.CaCertificatePem);
        again.CertificatePem.Should().NotBe(first.CertificatePem);
        using var leaf = X509Certificate2.CreateFromPem(again.CertificatePem);
        using var ca = X509Certificate2.CreateFromPem(again.CaCertificatePem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(leaf).Should().BeTrue();
    }

    private sealed class MovableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sentinelx-ca-" + Guid.NewGuid().ToString("N")[..12]);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
