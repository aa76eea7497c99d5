using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using FluentAssertions;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Forwarding.Hops;

/// <summary>A ws hop behind a real haproxy in <c>mode http</c> that routes on the path, as a reverse proxy or CDN would.</summary>
public sealed class HopReverseProxyTests : IAsyncLifetime
{
    private const string HopPath = "/relay/sx-7f3a";

    private readonly X509Certificate2 _authority = TestHopCertificates.CreateAuthority();
    private readonly string _directory = Directory.CreateTempSubdirectory("sx-haproxy-").FullName;
    private readonly int _frontPort = HopTestBench.FreePort();
    private HopTestBench _bench = null!;
    private Process _haproxy = null!;

    public async Task InitializeAsync()
    {
        _bench = HopTestBench.Start(HopTransports.Ws, exitCredentials: null, path: HopPath);
        var config = Path.Combine(_directory, "haproxy.cfg");
        await File.WriteAllTextAsync(config, $"""
            global
                maxconn 200
            defaults
                mode http
                timeout connect 5s
                timeout client 30s
                timeout server 30s
                timeout tunnel 60s
            frontend edge
                bind 127.0.0.1:{_frontPort}
                option forwardfor
                http-request set-header X-Forwarded-Proto http
                acl hop path {HopPath}
                use_backend sentinelx_hop if hop
            backend sentinelx_hop
                server exit 127.0.0.1:{_bench.Listen.Port}

            """);
        _haproxy = Process.Start(new ProcessStartInfo("haproxy", ["-db", "-f", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await WaitForPortAsync(_frontPort);
    }

    public async Task DisposeAsync()
    {
        if (!_haproxy.HasExited) _haproxy.Kill();
        await _haproxy.WaitForExitAsync();
        _haproxy.Dispose();
        await _bench.DisposeAsync();
        _authority.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Ws_hop_passes_haproxy_with_a_path_rule_and_its_own_host_header()
    {
        var dial = _bench.Dial(hostHeader: "edge.example.net", port: _frontPort);
        await using var hop = await HopTransport.DialAsync(dial, null, CancellationToken.None);

        var (sent, received) = await HopTestBench.EchoAsync(hop, HopTestBench.Preamble(_bench.Listen.Secret), 16 * 1024 * 1024);

        received.Should().Equal(sent);
        _bench.Admitted.Should().Be(1);
    }

    [Fact]
    public async Task Haproxy_refuses_another_path_and_the_hop_never_sees_it()
    {
        var dial = _bench.Dial(hostHeader: "edge.example.net", port: _frontPort, path: "/somewhere-else");
        var dialing = () => HopTransport.DialAsync(dial, null, CancellationToken.None);

        (await dialing.Should().ThrowAsync<IOException>()).WithMessage("*503*");
        _bench.Admitted.Should().Be(0);
    }

    private async Task WaitForPortAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_haproxy.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException) when (_haproxy.HasExited)
            {
                throw new InvalidOperationException($"haproxy exited: {await _haproxy.StandardError.ReadToEndAsync()}");
            }
        }
    }
}
