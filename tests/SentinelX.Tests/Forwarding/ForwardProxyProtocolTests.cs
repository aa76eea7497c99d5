using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using SentinelX.Node.Forwarding;
using Xunit;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding;

/// <summary>PROXY protocol v1 and v2 toward a real haproxy whose frontend has <c>accept-proxy</c>: it must accept the header and log the real client address.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ForwardProxyProtocolTests : IAsyncLifetime
{
    private readonly string _data = TempDir();
    private readonly TcpTestServer _echo = new();
    private ForwardEngine _engine = null!;

    public async Task InitializeAsync() => _engine = await StartEngineAsync(_data);

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _echo.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Haproxy_with_accept_proxy_sees_the_real_client(int version)
    {
        var frontend = FreeTcpPort();
        var config = Path.Combine(_data, "haproxy.cfg");
        await File.WriteAllTextAsync(config, $"""
            global
                log stdout format raw local0
            defaults
                mode tcp
                log global
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{frontend} accept-proxy
                log-format "client=%ci:%cp"
                default_backend be
            backend be
                server echo {_echo.Endpoint}

            """); // haproxy refuses a last line without its LF
        using var haproxy = Process.Start(new ProcessStartInfo("haproxy", ["-db", "-f", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = new StringBuilder();
        haproxy.OutputDataReceived += (_, e) =>
        {
            lock (output) output.AppendLine(e.Data);
        };
        haproxy.BeginOutputReadLine();
        haproxy.ErrorDataReceived += (_, e) =>
        {
            lock (output) output.AppendLine(e.Data);
        };
        haproxy.BeginErrorReadLine();
        try
        {
            (await EventuallyAsync(() => Task.FromResult(haproxy.HasExited || CanConnect(frontend)), TimeSpan.FromSeconds(10))).Should().BeTrue($"haproxy must start: {output}");
            haproxy.HasExited.Should().BeFalse($"haproxy must start: {output}");
            var port = FreeTcpPort();
            await ApplyAsync(_engine, Direct("pp", port, $"127.0.0.1:{frontend}") with { ProxyProtocol = version });

            int clientPort;
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
                (await ForwardEngineTcpTests.RoundTripAsync(client, "through haproxy")).Should().Be("through haproxy");
            }

            // haproxy logs a TCP session when it ends; the client port proves it read the header.
            var expected = $"client=127.0.0.1:{clientPort}";
            (await EventuallyAsync(() =>
            {
                lock (output) return Task.FromResult(output.ToString().Contains(expected, StringComparison.Ordinal));
            }, TimeSpan.FromSeconds(10))).Should().BeTrue($"haproxy should log {expected}; it logged: {output}");
            _echo.Heads.Select(h => Encoding.ASCII.GetString(h)).Should().Equal(["through haproxy"], "haproxy consumes the header; the server sees only client bytes");
        }
        finally
        {
            haproxy.Kill();
            await haproxy.WaitForExitAsync();
        }
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
