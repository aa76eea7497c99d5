using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Probes;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>The DNS check against a real dnsmasq, and against a server that answers wrongly on purpose.</summary>
[SupportedOSPlatform("linux")]
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class DnsProbeTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("sx-probe-dns-").FullName;
    private ProbeRunner _runner = null!;

    public Task InitializeAsync()
    {
        _runner = new ProbeRunner(new NodeSettings { Core = new Uri("http://127.0.0.1:1"), DataDir = _data });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _runner.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [ToolFact("dnsmasq")]
    public async Task Dnsmasq_answers_until_it_is_killed()
    {
        var port = FreeUdpPort();
        var server = $"127.0.0.1:{port}";
        using var dnsmasq = Process.Start(new ProcessStartInfo("dnsmasq",
        [
            "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--user=root",
            $"--pid-file={Path.Combine(_data, "dnsmasq.pid")}", "--listen-address=127.0.0.1", "--bind-interfaces", $"--port={port}",
            "--host-record=probe.test,192.0.2.7", "--local=/test/",
        ]) { RedirectStandardError = true })!;
        try
        {
            // Until it has bound its port, the first queries meet a closed one.
            var up = await CheckAsync("probe.test", server);
            for (var tries = 0; !up.Ok && !dnsmasq.HasExited && tries < 100; tries++)
            {
                await Task.Delay(50);
                up = await CheckAsync("probe.test", server);
            }

            dnsmasq.HasExited.Should().BeFalse(dnsmasq.HasExited ? await dnsmasq.StandardError.ReadToEndAsync() : "");
            up.Ok.Should().BeTrue(up.Error);
            up.LatencyMs.Should().BeInRange(0, 1000);
            up.Error.Should().BeNull();

            (await CheckAsync("missing.test", server)).Should().BeEquivalentTo(new { Ok = false, Error = "NXDOMAIN: the name does not exist" });
            (await CheckAsync("probe.test", server, DnsRecordTypes.Aaaa)).Error.Should().Be("no AAAA record (NOERROR with an empty answer)");
        }
        finally
        {
            dnsmasq.Kill();
            await dnsmasq.WaitForExitAsync();
        }

        var down = await CheckAsync("probe.test", server);
        down.Should().BeEquivalentTo(new { Ok = false, LatencyMs = (double?)null, Error = $"nothing answers DNS on {server} (port unreachable)" });
    }

    [Fact]
    public async Task A_reply_with_another_id_is_ignored()
    {
        await using var server = new ScriptedDnsServer((id, name, type) =>
        [
            DnsMessageTests.Reply((ushort)(id + 1), name, type, DnsMessageTests.Record([0xC0, 12], type, [6, 6, 6, 6])),
            DnsMessageTests.Reply(id, name, type, DnsMessageTests.Record([0xC0, 12], type, [192, 0, 2, 1])),
        ]);
        (await CheckAsync("a.example", server.Address)).Ok.Should().BeTrue();

        server.Script = (id, name, type) => [DnsMessageTests.Reply((ushort)(id ^ 0xFFFF), name, type, DnsMessageTests.Record([0xC0, 12], type, [6, 6, 6, 6]))];
        (await CheckAsync("a.example", server.Address, timeoutMs: 300)).Should().BeEquivalentTo(new { Ok = false, Error = "no answer within 300 ms" },
            "a forged answer never counts");

        server.Script = (id, _, type) => [DnsMessageTests.Reply(id, "other.example", type, DnsMessageTests.Record([0xC0, 12], type, [6, 6, 6, 6]))];
        (await CheckAsync("a.example", server.Address, timeoutMs: 300)).Error.Should().Be("no answer within 300 ms", "an answer to another question does not count either");
    }

    [Fact]
    public async Task Malformed_and_failed_answers_say_why()
    {
        await using var server = new ScriptedDnsServer((id, name, type) =>
            [DnsMessageTests.Reply(id, name, type, DnsMessageTests.Record([0xC0, 12], type, [192, 0, 2, 1]))[..^3]]);
        (await CheckAsync("a.example", server.Address)).Error.Should().StartWith($"malformed DNS reply from {server.Address}: a record runs past the end");

        var loopAt = 12 + 11 + 4;
        server.Script = (id, name, type) => [DnsMessageTests.Reply(id, name, type, DnsMessageTests.Record([1, (byte)'x', 0xC0, (byte)loopAt], type, [1, 2, 3, 4]))];
        (await CheckAsync("a.example", server.Address)).Error.Should().Contain("malformed DNS reply").And.Contain("loop");

        server.Script = (id, name, type) => [DnsMessageTests.Reply(id, name, type, DnsMessage.ResponseServerFailure)];
        (await CheckAsync("a.example", server.Address)).Error.Should().Be("SERVFAIL: the server could not answer");

        server.Script = (id, name, type) => [DnsMessageTests.Reply(id, name, type, DnsMessage.ResponseNoError, truncated: true)];
        (await CheckAsync("a.example", server.Address)).Error.Should().Be("the answer was truncated before any A record");

        server.Script = (id, name, type) => [DnsMessageTests.Reply(id, name, type, DnsMessageTests.Record([0xC0, 12], DnsMessage.TypeCname, [0xC0, 12]))];
        (await CheckAsync("a.example", server.Address)).Error.Should().Be("no A record (NOERROR with an empty answer)", "a CNAME alone is no address");
    }

    [Fact]
    public void The_system_resolver_is_the_first_nameserver_of_resolv_conf()
    {
        var path = Path.Combine(_data, "resolv.conf");
        File.WriteAllText(path, "# generated\nsearch example.com\nnameserver\tnot-an-ip\nnameserver 2001:db8::53\nnameserver 192.0.2.1\n");
        DnsCheck.SystemServer(path).Should().Be(new IPEndPoint(IPAddress.Parse("2001:db8::53"), 53));
        File.WriteAllText(path, "search example.com\n");
        DnsCheck.SystemServer(path).Should().BeNull();
        DnsCheck.SystemServer(Path.Combine(_data, "missing")).Should().BeNull();
    }

    private Task<ProbeResult> CheckAsync(string name, string server, string? recordType = null, int timeoutMs = 3000) =>
        _runner.CheckAsync(new ProbeDefinition
        {
            Id = "dns",
            Type = ProbeTypes.Dns,
            Target = name,
            IntervalSeconds = 60,
            TimeoutMs = timeoutMs,
            DnsServer = server,
            RecordType = recordType,
        }, CancellationToken.None);

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A UDP server on loopback that answers each query with the datagrams its script returns.</summary>
    private sealed class ScriptedDnsServer : IAsyncDisposable
    {
        private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public ScriptedDnsServer(Func<ushort, string, ushort, byte[][]> script)
        {
            Script = script;
            _loop = ServeAsync();
        }

        public Func<ushort, string, ushort, byte[][]> Script { get; set; }

        public string Address => _udp.Client.LocalEndPoint!.ToString()!;

        private async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    var query = await _udp.ReceiveAsync(_stop.Token);
                    var parsed = DnsMessage.Read(query.Buffer);
                    foreach (var datagram in Script(parsed.Id, parsed.QuestionName, parsed.QuestionType))
                        await _udp.SendAsync(datagram, query.RemoteEndPoint, _stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _udp.Dispose();
            _stop.Dispose();
        }
    }
}
