using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Forwarding.Targets;
using SentinelX.Shared.Protocol;
using Xunit;
using static SentinelX.Tests.Forwarding.ForwardTestKit;

namespace SentinelX.Tests.Forwarding.Targets;

/// <summary>
/// The Node's own lock on forward targets: what a Core (or whoever holds it) may not point a public
/// port at, unless the server's owner allowed it in node.toml.
/// </summary>
public sealed class ForwardTargetPolicyTests : IAsyncLifetime
{
    private const string Config = "/etc/sentinelx/node.toml";
    private static readonly IPAddress Own = IPAddress.Parse("198.51.100.7");
    private readonly string _data = TempDir();
    private readonly List<IAsyncDisposable> _cleanup = [];

    private static ForwardTargetPolicy Policy(ForwardTargetRules? rules = null, string core = "http://203.0.113.50:5080",
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null) =>
        new(rules ?? new ForwardTargetRules(), new Uri(core), Config, localAddresses: () => [Own], resolve: resolve);

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.1.2", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("::ffff:169.254.169.254", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fe80::1%2", "link-local")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("198.51.100.7", "an address of this Node")]
    [InlineData("::ffff:198.51.100.7", "an address of this Node")]
    [InlineData("203.0.113.50", "the Core's address")]
    public async Task Addresses_only_the_node_itself_reaches_are_refused_by_default(string address, string reason)
    {
        (await Policy().ReasonAsync(IPAddress.Parse(address), null, CancellationToken.None)).Should().Be(reason);
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.1.10")]
    [InlineData("2001:db8::5")]
    [InlineData("fd00::5")]
    public async Task Ordinary_addresses_pass(string address)
    {
        (await Policy().ReasonAsync(IPAddress.Parse(address), null, CancellationToken.None)).Should().BeNull();
    }

    [Fact]
    public async Task The_owner_allows_what_is_listed_and_deny_wins_over_allow()
    {
        var policy = Policy(new ForwardTargetRules
        {
            Allow = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("203.0.113.50/32"), IPNetwork.Parse("10.0.0.0/8")],
            Deny = [IPNetwork.Parse("127.0.0.2/32"), IPNetwork.Parse("10.9.0.0/16")],
        });

        (await policy.ReasonAsync(IPAddress.Parse("127.0.0.1"), null, default)).Should().BeNull();
        (await policy.ReasonAsync(IPAddress.Parse("::ffff:127.0.0.1"), null, default)).Should().BeNull("a mapped address is the IPv4 address it carries");
        (await policy.ReasonAsync(IPAddress.Parse("203.0.113.50"), null, default)).Should().BeNull();
        (await policy.ReasonAsync(IPAddress.Parse("127.0.0.2"), null, default)).Should().Be("listed in forwardTargets.deny");
        (await policy.ReasonAsync(IPAddress.Parse("10.9.1.1"), null, default)).Should().Be("listed in forwardTargets.deny");
        (await policy.ReasonAsync(IPAddress.Parse("::1"), null, default)).Should().Be("loopback", "127.0.0.0/8 does not cover IPv6 loopback");
        (await policy.ReasonAsync(IPAddress.Parse("169.254.169.254"), null, default)).Should().Be("link-local");
    }

    [Fact]
    public async Task A_core_known_by_name_is_refused_by_what_the_name_resolves_to()
    {
        var policy = Policy(core: "https://core.example:443", resolve: (_, _) => Task.FromResult(new[] { IPAddress.Parse("192.0.2.80") }));
        (await policy.ReasonAsync(IPAddress.Parse("192.0.2.80"), null, default)).Should().Be("the Core's address");

        var unresolvable = Policy(core: "https://core.example:443", resolve: (_, _) => throw new SocketException((int)SocketError.HostNotFound));
        (await unresolvable.ReasonAsync(IPAddress.Parse("192.0.2.80"), null, default)).Should().BeNull();
    }

    [Fact]
    public async Task The_refusal_names_the_target_the_reason_and_where_to_allow_it()
    {
        var policy = Policy();
        (await policy.RefusalAsync("127.0.0.1:2375", IPAddress.Loopback, null, default)).Should().Be(
            "target 127.0.0.1:2375 is refused by this Node's forwardTargets policy (loopback); allow it in /etc/sentinelx/node.toml");
        (await policy.RefusalAsync("metadata.example:80", IPAddress.Parse("169.254.169.254"), null, default)).Should().Be(
            "target metadata.example:80 (169.254.169.254) is refused by this Node's forwardTargets policy (link-local); allow it in /etc/sentinelx/node.toml");
    }

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("[::1]", "loopback")]
    [InlineData("[::ffff:127.0.0.1]", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("localhost", "loopback")]
    public async Task A_rule_to_a_refused_target_is_not_started_and_says_why(string host, string reason)
    {
        var engine = await StartEngineAsync(_data, targets: new ForwardTargetRules());
        _cleanup.Add(engine);
        var server = new TcpTestServer();
        _cleanup.Add(server);
        var port = FreeTcpPort();

        var result = await ApplyAsync(engine, Direct("r1", port, $"{host}:{server.Port}"));

        var stats = result.Placements.Should().ContainSingle().Which;
        stats.Status.Should().Be(ForwardStatuses.Error);
        stats.Error.Should().Contain($"target {host}:{server.Port}").And.Contain($"is refused by this Node's forwardTargets policy ({reason}); allow it in ");
        using var client = new TcpClient();
        var connecting = () => client.ConnectAsync(IPAddress.Loopback, port);
        await connecting.Should().ThrowAsync<SocketException>("nothing listens for a refused rule");
        server.Connections.Should().Be(0);
    }

    [Fact]
    public async Task The_same_rule_runs_where_the_owner_allows_loopback()
    {
        var engine = await StartEngineAsync(_data, targets: AllowLoopback);
        _cleanup.Add(engine);
        var server = new TcpTestServer();
        _cleanup.Add(server);
        var port = FreeTcpPort();

        var result = await ApplyAsync(engine, Direct("r1", port, server.Endpoint));

        result.Placements.Should().ContainSingle().Which.Status.Should().Be(ForwardStatuses.Active);
        var data = "allowed"u8.ToArray();
        (await EchoHashAsync(port, data)).Should().Equal(System.Security.Cryptography.SHA256.HashData(data));
    }

    [Fact]
    public async Task A_name_that_resolves_to_the_metadata_address_is_never_dialled()
    {
        var answers = new[] { IPAddress.Parse("169.254.169.254") };
        await using var pool = new TargetPool(["metadata.example:80"], ForwardBalance.RoundRobin, null, Policy(),
            (_, _) => Task.FromResult(answers));

        (await pool.FindRefusedAsync(default)).Should().Be(
            "target metadata.example:80 (169.254.169.254) is refused by this Node's forwardTargets policy (link-local); allow it in /etc/sentinelx/node.toml");
        var dialing = () => pool.ConnectAsync(CancellationToken.None);
        (await dialing.Should().ThrowAsync<SocketException>()).Which.Message.Should().Contain("(link-local)");
        var picking = () => pool.PickDatagramTargetAsync(CancellationToken.None);
        (await picking.Should().ThrowAsync<SocketException>()).Which.Message.Should().Contain("(link-local)");
    }

    [Fact]
    public async Task Of_a_names_addresses_only_those_the_policy_allows_are_dialled()
    {
        var server = new TcpTestServer();
        _cleanup.Add(server);
        // Two answers: one the owner allowed (loopback), one refused. Only the allowed one is dialled.
        var answers = new[] { IPAddress.Parse("169.254.169.254"), IPAddress.Loopback };
        await using var pool = new TargetPool([$"rebind.example:{server.Port}"], ForwardBalance.RoundRobin, null,
            Policy(new ForwardTargetRules { Allow = [IPNetwork.Parse("127.0.0.0/8")] }), (_, _) => Task.FromResult(answers));

        (await pool.FindRefusedAsync(default)).Should().BeNull("one of its addresses is allowed");
        using (var socket = await pool.ConnectAsync(CancellationToken.None))
            ((IPEndPoint)socket.RemoteEndPoint!).Address.Should().Be(IPAddress.Loopback);
        (await pool.PickDatagramTargetAsync(CancellationToken.None)).Address.Should().Be(IPAddress.Loopback);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup)) await item.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
