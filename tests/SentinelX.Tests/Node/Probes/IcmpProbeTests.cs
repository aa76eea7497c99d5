using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Probes;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Forwarding.Kernel;
using Xunit.Abstractions;

namespace SentinelX.Tests.Node.Probes;

/// <summary>
/// ICMP echo between two network namespaces, measured against iputils' own <c>ping</c> on the same
/// link, with the raw socket and with the ping socket. This kernel has no <c>netem</c> qdisc
/// (CONFIG_NET_SCH_NETEM is not set), so the delay comes from the far end: its kernel ignores echo
/// requests and a responder there answers each one after a fixed delay; loss is that responder
/// keeping quiet.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class IcmpProbeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(80);

    [ToolFact("ip", "ping", Root = true)]
    public async Task Round_trips_match_ping_within_ten_percent_over_ipv4_and_silence_is_a_timeout()
    {
        await using var lab = await PingLab.CreateAsync();
        var target = IPAddress.Parse(PingLab.FarV4);
        using var responder = await lab.StartResponderAsync(AddressFamily.InterNetwork, Delay);

        await CompareBothSocketsWithPingAsync(lab, target);

        responder.Silent = true;
        using var socket = lab.Open(AddressFamily.InterNetwork);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await FluentActions.Awaiting(() => IcmpEcho.EchoAsync(socket, target, timeout.Token)).Should().ThrowAsync<OperationCanceledException>();
    }

    [ToolFact("ip", "ping", Root = true)]
    public async Task Round_trips_match_ping_within_ten_percent_over_ipv6()
    {
        await using var lab = await PingLab.CreateAsync();
        var target = IPAddress.Parse(PingLab.FarV6);
        using var responder = await lab.StartResponderAsync(AddressFamily.InterNetworkV6, Delay);

        await CompareBothSocketsWithPingAsync(lab, target);
    }

    [ToolFact(Root = true)]
    public async Task The_runner_pings_loopback()
    {
        await using var runner = new ProbeRunner(new NodeSettings { Core = new Uri("http://127.0.0.1:1"), DataDir = Path.GetTempPath() });
        var result = await runner.CheckAsync(new ProbeDefinition { Id = "lo", Type = ProbeTypes.Icmp, Target = "127.0.0.1", IntervalSeconds = 60 }, CancellationToken.None);
        result.Ok.Should().BeTrue(result.Error);
        result.LatencyMs.Should().BeInRange(0, 100);
    }

    /// <summary>A raw socket first (a new namespace lets nobody use ping sockets), then the ping socket once the range allows it.</summary>
    private async Task CompareBothSocketsWithPingAsync(PingLab lab, IPAddress target)
    {
        await CompareWithPingAsync(lab, target, raw: true);
        await lab.ShAsync("sysctl -qw net.ipv4.ping_group_range='0 2147483647'");
        await CompareWithPingAsync(lab, target, raw: false);
    }

    /// <summary>
    /// ping's minimum against ours, and our median against it: a responder that misses its moment on a
    /// busy machine only ever adds delay, so the minimum is the path's round trip for both programs,
    /// and one late sample must not decide the comparison either way.
    /// </summary>
    private async Task CompareWithPingAsync(PingLab lab, IPAddress target, bool raw)
    {
        const int count = 7;
        // One echo first to resolve the neighbour (on a link just brought up that can take a retransmission,
        // a second): neither side's figures should include it.
        await lab.ShAsync($"ping -n -q -c 1 -W 3 {target}");
        var pinged = await lab.ShAsync($"ping -n -q -c {count} -i 0.2 -W 2 {target}");
        var match = PingSummary().Match(pinged);
        match.Success.Should().BeTrue(pinged);
        var theirs = double.Parse(match.Groups["min"].Value, CultureInfo.InvariantCulture);

        using var socket = lab.Open(target.AddressFamily);
        socket.Raw.Should().Be(raw, raw ? "a new namespace's ping_group_range (1 0) allows no ping sockets" : "the range now covers root's group");
        var ours = new List<double>();
        for (var i = 0; i < count; i++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            ours.Add(await IcmpEcho.EchoAsync(socket, target, timeout.Token));
        }

        output.WriteLine($"{target} ({(raw ? "raw" : "ping socket")}): ours {string.Join(", ", ours.Select(o => o.ToString("0.000", CultureInfo.InvariantCulture)))} ms; ping: {match.Value}");
        theirs.Should().BeGreaterThan(Delay.TotalMilliseconds, "the responder's delay is on the path");
        ours.Min().Should().BeApproximately(theirs, theirs * 0.10);
        ours.Order().ElementAt(count / 2).Should().BeApproximately(theirs, theirs * 0.10, "most of our echoes agree, not just the fastest");
    }

    [GeneratedRegex(@"= (?<min>[\d.]+)/[\d.]+/[\d.]+/[\d.]+ ms")]
    private static partial Regex PingSummary();

    /// <summary>
    /// Two namespaces joined by a veth pair: prober (pa, 10.79.0.1, fd00:79::1) and target (pb,
    /// 10.79.0.2, fd00:79::2). The addresses exist only inside them; both go when the lab is disposed.
    /// </summary>
    private sealed class PingLab : IAsyncDisposable
    {
        public const string FarV4 = "10.79.0.2";
        public const string FarV6 = "fd00:79::2";

        private const int CloneNewNet = 0x40000000;

        private PingLab(string id)
        {
            Prober = $"sxp{id}a";
            Target = $"sxp{id}b";
        }

        public string Prober { get; }
        public string Target { get; }

        public static async Task<PingLab> CreateAsync()
        {
            var lab = new PingLab(Guid.NewGuid().ToString("N")[..8]);
            try
            {
                foreach (var ns in new[] { lab.Prober, lab.Target })
                {
                    await KernelNetnsLab.RunAsync("ip", "netns", "add", ns);
                    await KernelNetnsLab.RunAsync("ip", "-n", ns, "link", "set", "lo", "up");
                }

                await KernelNetnsLab.RunAsync("ip", "-n", lab.Prober, "link", "add", "pa", "type", "veth", "peer", "name", "pb", "netns", lab.Target);
                foreach (var (ns, dev, host) in new[] { (lab.Prober, "pa", 1), (lab.Target, "pb", 2) })
                {
                    await KernelNetnsLab.RunAsync("ip", "-n", ns, "addr", "add", $"10.79.0.{host}/24", "dev", dev);
                    await KernelNetnsLab.RunAsync("ip", "-n", ns, "addr", "add", $"fd00:79::{host}/64", "dev", dev, "nodad");
                    await KernelNetnsLab.RunAsync("ip", "-n", ns, "link", "set", dev, "up");
                }

                return lab;
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }

        public Task<string> ShAsync(string script) => KernelNetnsLab.ShAsync(Prober, script);

        /// <summary>An ICMP socket made inside the prober namespace (a socket stays in the namespace it was made in).</summary>
        public IcmpSocket Open(AddressFamily family)
        {
            IcmpSocket? socket = null;
            ExceptionDispatchInfo? error = null;
            // A thread of its own that enters the namespace and ends: no other code ever runs in it.
            var thread = new Thread(() =>
            {
                try
                {
                    Enter(Prober);
                    socket = IcmpSocket.Open(family);
                }
                catch (Exception ex)
                {
                    error = ExceptionDispatchInfo.Capture(ex);
                }
            });
            thread.Start();
            thread.Join();
            error?.Throw();
            return socket!;
        }

        /// <summary>Makes the target's kernel ignore echo requests and answers them itself after <paramref name="delay"/>.</summary>
        public async Task<EchoResponder> StartResponderAsync(AddressFamily family, TimeSpan delay)
        {
            await KernelNetnsLab.ShAsync(Target, "sysctl -qw net.ipv4.icmp_echo_ignore_all=1 net.ipv6.icmp.echo_ignore_all=1");
            return new EchoResponder(() => Enter(Target), family, delay);
        }

        /// <summary>Moves the calling thread into namespace <paramref name="ns"/>; only for threads that end afterwards.</summary>
        private static void Enter(string ns)
        {
            using var handle = File.OpenHandle($"/var/run/netns/{ns}");
            if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0) throw new IOException($"setns failed (errno {Marshal.GetLastPInvokeError()})");
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var ns in new[] { Prober, Target }) await KernelNetnsLab.TryRunAsync("ip", "netns", "del", ns);
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int setns(int fd, int nstype);
    }

    /// <summary>
    /// Answers ICMP echo requests on a raw socket after a fixed delay, one at a time, from a thread
    /// that lives in the target namespace. <see cref="Silent"/> makes it drop them instead.
    /// </summary>
    private sealed class EchoResponder : IDisposable
    {
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _ready = new();
        private volatile bool _stopping;
        private Socket? _socket;
        private Exception? _error;

        public EchoResponder(Action enterNamespace, AddressFamily family, TimeSpan delay)
        {
            _thread = new Thread(() => Serve(enterNamespace, family, delay)) { IsBackground = true };
            _thread.Start();
            _ready.Wait(TimeSpan.FromSeconds(10));
            if (_error is not null) throw new InvalidOperationException("the echo responder did not start", _error);
        }

        public bool Silent { get; set; }

        private void Serve(Action enterNamespace, AddressFamily family, TimeSpan delay)
        {
            var v6 = family == AddressFamily.InterNetworkV6;
            try
            {
                enterNamespace();
                // A short timeout lets the loop see Dispose: closing a socket does not wake a blocked receive everywhere.
                _socket = new Socket(family, SocketType.Raw, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp) { ReceiveTimeout = 200 };
                _socket.Bind(new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            }
            catch (Exception ex)
            {
                _error = ex;
            }

            _ready.Set();
            if (_socket is null) return;
            var buffer = new byte[1500];
            EndPoint from = new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            while (!_stopping)
            {
                int length;
                try
                {
                    length = _socket.ReceiveFrom(buffer, ref from);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
                {
                    continue;
                }
                catch (Exception)
                {
                    // Anything else ends the responder; a thread's exception would end the test host.
                    return;
                }

                // IPv4 raw sockets hand over the IP header; echo request is type 8 (ICMPv6: 128).
                var offset = v6 ? 0 : (buffer[0] & 0x0F) * 4;
                if (length - offset < 8 || buffer[offset] != (v6 ? 128 : 8) || Silent) continue;
                var reply = buffer.AsSpan(offset, length - offset).ToArray();
                reply[0] = v6 ? (byte)129 : (byte)0;
                reply[2] = reply[3] = 0;
                if (!v6) BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), IcmpEcho.Checksum(reply));

                Thread.Sleep(delay);
                try
                {
                    _socket.SendTo(reply, from);
                }
                catch (Exception)
                {
                    return;
                }
            }
        }

        public void Dispose()
        {
            _stopping = true;
            _thread.Join(TimeSpan.FromSeconds(5));
            _socket?.Dispose();
            _ready.Dispose();
        }
    }
}
