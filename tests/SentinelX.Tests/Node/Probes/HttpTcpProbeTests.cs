using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SentinelX.Node.Config;
using SentinelX.Node.Probes;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>The real TCP and HTTP(S) checks against a real Kestrel on loopback, as the runner reports them.</summary>
[SupportedOSPlatform("linux")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class HttpTcpProbeTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("sx-probe-http-").FullName;
    private ProbeRunner _runner = null!;
    private WebApplication _web = null!;
    private X509Certificate2 _certificate = null!;
    private int _status = 200;
    private int _httpPort;
    private int _httpsPort;

    public async Task InitializeAsync()
    {
        _runner = new ProbeRunner(new NodeSettings { Core = new Uri("http://127.0.0.1:1"), DataDir = _data });
        _certificate = SelfSigned(expires: DateTimeOffset.UtcNow.AddDays(5));
        _httpPort = FreePort();
        _httpsPort = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, _httpPort);
            o.Listen(IPAddress.Loopback, _httpsPort, listen => listen.UseHttps(_certificate));
        });
        _web = builder.Build();
        _web.MapGet("/", () => Results.Text("all good: sentinel-ok", statusCode: Volatile.Read(ref _status)));
        _web.MapGet("/moved", () => Results.Redirect("/elsewhere"));
        _web.MapGet("/big", async context =>
        {
            // The keyword only after 1.5 MiB: beyond what the check reads.
            var filler = new byte[64 * 1024];
            filler.AsSpan().Fill((byte)'a');
            for (var i = 0; i < 24; i++) await context.Response.Body.WriteAsync(filler);
            await context.Response.WriteAsync("late-keyword");
        });
        await _web.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _runner.DisposeAsync();
        await _web.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_tcp_port_is_up_until_it_closes()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var target = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        var up = await CheckAsync(ProbeTypes.Tcp, target);
        up.Ok.Should().BeTrue();
        up.LatencyMs.Should().BeInRange(0, 1000);
        up.Error.Should().BeNull();

        listener.Stop();
        listener.Dispose();
        var down = await CheckAsync(ProbeTypes.Tcp, target);
        down.Should().BeEquivalentTo(new { Ok = false, LatencyMs = (double?)null, Error = "connection refused" });
    }

    [Fact]
    public async Task An_http_server_is_up_until_it_answers_500()
    {
        var url = $"http://127.0.0.1:{_httpPort}/";
        var up = await CheckAsync(ProbeTypes.Http, url);
        up.Ok.Should().BeTrue();
        up.LatencyMs.Should().BeGreaterThan(0).And.BeLessThan(5000);
        up.CertificateExpiresAt.Should().BeNull("plain http has no certificate");

        Volatile.Write(ref _status, 500);
        var down = await CheckAsync(ProbeTypes.Http, url);
        down.Ok.Should().BeFalse();
        down.Error.Should().Be("HTTP 500 (expected 200–399)");
        down.LatencyMs.Should().NotBeNull("the server answered; only its status is wrong");

        (await CheckAsync(ProbeTypes.Http, url, expectStatus: 500)).Ok.Should().BeTrue("500 is what this probe expects");
        (await CheckAsync(ProbeTypes.Http, $"http://127.0.0.1:{_httpPort}/moved")).Ok.Should().BeTrue("a redirect is a 3xx answer, not followed");
        (await CheckAsync(ProbeTypes.Http, $"http://127.0.0.1:{_httpPort}/moved", expectStatus: 200)).Error.Should().Be("HTTP 302 (expected 200)");
    }

    [Fact]
    public async Task A_keyword_must_be_in_the_first_mebibyte_of_the_body()
    {
        var url = $"http://127.0.0.1:{_httpPort}/";
        (await CheckAsync(ProbeTypes.Http, url, keyword: "sentinel-ok")).Ok.Should().BeTrue();

        var missing = await CheckAsync(ProbeTypes.Http, url, keyword: "maintenance");
        missing.Ok.Should().BeFalse();
        missing.Error.Should().Be("keyword not found in the first 1 MiB of the body");

        (await CheckAsync(ProbeTypes.Http, $"http://127.0.0.1:{_httpPort}/big", keyword: "late-keyword")).Error.Should().Be("keyword not found in the first 1 MiB of the body");
        (await CheckAsync(ProbeTypes.Http, $"http://127.0.0.1:{_httpPort}/big", keyword: "aaaa")).Ok.Should().BeTrue();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16 * 1024)]
    public async Task The_keyword_is_found_across_reads_and_only_within_the_limit(int readSize)
    {
        var keyword = "straddling-keyword"u8.ToArray();
        async Task<bool> FoundAt(int offset)
        {
            var body = new byte[offset + keyword.Length + 10];
            body.AsSpan().Fill((byte)'.');
            keyword.CopyTo(body, offset);
            using var content = new StreamContent(new TrickleStream(body, readSize));
            return await HttpCheck.ContainsAsync(content, keyword, CancellationToken.None);
        }

        // Around the scanner's own 16 KiB pieces, and at the 1 MiB edge.
        foreach (var offset in new[] { 0, 16 * 1024 - 5, 16 * 1024, 3 * 16 * 1024 - 1 })
            (await FoundAt(offset)).Should().BeTrue($"the keyword at {offset} with reads of {readSize}");
        if (readSize == 1) return; // a mebibyte one byte at a time proves nothing more
        (await FoundAt(ProbeLimits.KeywordScanBytes - keyword.Length)).Should().BeTrue("it ends on the last byte scanned");
        (await FoundAt(ProbeLimits.KeywordScanBytes - keyword.Length + 1)).Should().BeFalse("its last byte lies beyond the first MiB");
    }

    [Fact]
    public async Task A_self_signed_certificate_is_not_trusted_but_its_expiry_is_reported()
    {
        var result = await CheckAsync(ProbeTypes.Http, $"https://127.0.0.1:{_httpsPort}/");

        result.Ok.Should().BeFalse();
        result.Error.Should().Be("TLS certificate not trusted: self-signed or from an unknown authority");
        result.CertificateExpiresAt.Should().Be(new DateTimeOffset(_certificate.NotAfter.ToUniversalTime()));
        result.CertificateExpiresAt.Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(5), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_server_that_is_gone_is_refused()
    {
        var port = FreePort();
        var result = await CheckAsync(ProbeTypes.Http, $"http://127.0.0.1:{port}/");
        result.Should().BeEquivalentTo(new { Ok = false, LatencyMs = (double?)null, Error = "connection refused" });
    }

    private Task<ProbeResult> CheckAsync(string type, string target, string? keyword = null, int? expectStatus = null) =>
        _runner.CheckAsync(new ProbeDefinition
        {
            Id = "p1",
            Type = type,
            Target = target,
            IntervalSeconds = 60,
            TimeoutMs = 10_000,
            Keyword = keyword,
            ExpectStatus = expectStatus,
        }, CancellationToken.None);

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static X509Certificate2 SelfSigned(DateTimeOffset expires)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=probe.test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), expires);
    }

    /// <summary>A body that arrives a few bytes per read, as a slow server sends it.</summary>
    private sealed class TrickleStream(byte[] data, int readSize) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, readSize));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, readSize), cancellationToken);
    }
}
