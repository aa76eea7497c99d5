using System.Text.RegularExpressions;
using FluentAssertions;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Localization;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>The edit dialog's form: what it refuses before a round trip, and the ForwardInput it sends.</summary>
public sealed partial class ForwardFormTests
{
    private static readonly UiText T = new();

    private static ForwardForm Direct() => new()
    {
        Name = "web",
        NodeId = "node-1",
        ListenPort = 10080,
        Targets = "10.0.0.5:80\n backup.example:80 \n\n",
    };

    [Fact]
    public void An_empty_form_names_every_missing_field()
    {
        var errors = new ForwardForm().Validate(T);

        errors.Keys.Should().BeEquivalentTo(["name", "nodeId", "listenPort", "targets"]);
        errors["listenPort"].Should().Be("Pick a port from 1 to 65535.");
    }

    [Fact]
    public void A_direct_rule_becomes_the_input_the_api_takes()
    {
        var form = Direct();
        form.QuotaGiB = 1.5;
        form.QuotaAction = QuotaActions.Throttle;
        form.QuotaThrottleMbps = 5;
        form.BandwidthMbps = 100;

        form.Validate(T).Should().BeEmpty();
        var input = form.ToInput();

        input.Name.Should().Be("web");
        input.NodeId.Should().Be("node-1");
        input.ListenPort.Should().Be(10080);
        input.Targets.Should().Equal("10.0.0.5:80", "backup.example:80");
        input.QuotaBytes.Should().Be(1610612736);
        input.QuotaAction.Should().Be(QuotaActions.Throttle);
        input.BandwidthMbps.Should().Be(100);
        input.Chain.Should().BeEmpty();
    }

    [Theory]
    [InlineData("10.0.0.5:80", true)]
    [InlineData("backup.example:443", true)]
    [InlineData("[2001:db8::1]:443", true)]
    [InlineData("2001:db8::1:443", false)]
    [InlineData("host:0", false)]
    [InlineData("host:70000", false)]
    [InlineData("host", false)]
    [InlineData("bad target:80", false)]
    [InlineData("[not-an-ip]:80", false)]
    public void Targets_must_be_host_and_port(string target, bool valid) =>
        ForwardForm.IsHostPort(target).Should().Be(valid);

    [Fact]
    public void A_bad_target_is_quoted_in_the_message()
    {
        var form = Direct();
        form.Targets = "10.0.0.5:80\nbad target";

        form.Validate(T)["targets"].Should().Be("\"bad target\" is not host:port (IPv6 as [addr]:port).");
    }

    [Fact]
    public void A_chain_starts_at_the_entry_Node_and_sends_websocket_settings_only_for_ws()
    {
        var form = Direct();
        form.StartChain();
        form.Chain.Should().HaveCount(2);
        form.Chain[0].NodeId.Should().Be("node-1");
        form.Chain[1].NodeId = "node-2";
        form.Chain[1].Transport = HopTransports.Wss;
        form.Chain[1].Path = "/sx";
        form.Chain[1].HostHeader = "cdn.example.com";
        form.Chain.Add(new HopForm { NodeId = "node-3", Transport = HopTransports.Tls, Path = "/ignored", Port = 20000 });

        form.Validate(T).Should().BeEmpty();
        var input = form.ToInput();

        input.NodeId.Should().Be("node-1");
        input.Chain.Select(h => h.NodeId).Should().Equal("node-1", "node-2", "node-3");
        input.Chain[1].Path.Should().Be("/sx");
        input.Chain[1].HostHeader.Should().Be("cdn.example.com");
        input.Chain[2].Path.Should().BeNull();
        input.Chain[2].Port.Should().Be(20000);
    }

    [Fact]
    public void Chain_mistakes_are_reported_on_the_hop_they_belong_to()
    {
        var form = Direct();
        form.Mode = ForwardModes.Kernel;
        form.StartChain();
        form.Chain[1].NodeId = "node-1";
        form.Chain[1].Transport = HopTransports.Ws;
        form.Chain[1].Path = "no-slash";
        form.Chain[1].Port = 70000;

        var errors = form.Validate(T);

        errors["chain[1].nodeId"].Should().Be("Two hops in a row on the same Node would loop.");
        errors["chain[1].path"].Should().Be("The path starts with /.");
        errors["chain[1].port"].Should().Be("Pick a port from 1 to 65535, or leave it empty.");
        errors["mode"].Should().Be("Kernel mode forwards on one Node only; use userspace for a chain.");
        errors.Should().NotContainKey("nodeId", "with a chain the entry Node is the first hop");
    }

    [Fact]
    public void Moving_a_hop_swaps_it_with_its_neighbour_and_stops_at_the_ends()
    {
        var form = Direct();
        form.StartChain();
        form.Chain[1].NodeId = "node-2";

        form.Move(1, -1);
        form.Chain.Select(h => h.NodeId).Should().Equal("node-2", "node-1");
        form.Move(0, -1);
        form.Chain.Select(h => h.NodeId).Should().Equal("node-2", "node-1");
    }

    [Fact]
    public void Editing_a_saved_rule_starts_from_its_settings()
    {
        var view = new ForwardView
        {
            Id = "r1", Name = "game", NodeId = "a", NodeName = "A", Protocol = ForwardProtocols.TcpUdp, ListenAddress = "::", ListenPort = 7000,
            Targets = ["[2001:db8::5]:7000"], Balance = ForwardBalance.Failover, Mode = ForwardModes.Userspace, QuotaBytes = 10L << 30,
            QuotaAction = QuotaActions.Block, ResetDay = 15, UdpIdleSeconds = 30, ProxyProtocol = 2, Status = ForwardStatuses.Active,
            Stats = new ForwardStatsView(0, 0, 0, 0), Placements = [],
            Chain = [new ForwardHopView("a", "A", "tcp", "", 0, "", null), new ForwardHopView("b", "B", "wss", "b.example", 443, "/hop", "cdn.example")],
        };

        var form = ForwardForm.From(view);
        form.Validate(T).Should().BeEmpty();
        var input = form.ToInput();

        input.Should().BeEquivalentTo(new
        {
            Name = "game", NodeId = "a", Protocol = ForwardProtocols.TcpUdp, ListenAddress = "::", ListenPort = 7000,
            Balance = ForwardBalance.Failover, QuotaBytes = 10L << 30, ResetDay = 15, UdpIdleSeconds = 30, ProxyProtocol = 2,
        });
        input.Targets.Should().Equal("[2001:db8::5]:7000");
        input.Chain[0].Port.Should().BeNull("port 0 means the Core picks one");
        input.Chain[1].Should().BeEquivalentTo(new ForwardHopInput { NodeId = "b", Transport = "wss", Host = "b.example", Port = 443, Path = "/hop", HostHeader = "cdn.example" });
    }

    // T["…"], t["…"], T.Format("…", …) and t.Format("…", …): ForwardForm and ForwardText take the UiText as t.
    [GeneratedRegex("""\b[Tt](?:\[|\.Format\()\s*"(?<key>(?:[^"\\]|\\.)*)"\s*[\],]""")]
    private static partial Regex TextKey();

    [Fact]
    public void Every_forwarding_text_has_a_Chinese_translation()
    {
        var dir = Path.Combine(RepoRoot(), "SentinelX.App", "Features", "Forwards");
        var used = Directory.EnumerateFiles(dir)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => TextKey().Matches(File.ReadAllText(f)).Select(m => Regex.Unescape(m.Groups["key"].Value)))
            .Distinct()
            .ToList();

        used.Should().Contain(["Round robin", "\"{0}\" is not host:port (IPv6 as [addr]:port).", "New forward"]);
        used.Except(UiText.TranslatedKeys).Should().BeEmpty();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SentinelX.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("SentinelX.sln not found above the test binaries");
    }
}
