using FluentAssertions;
using SentinelX.App.Features.Forwards;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Forwards;

/// <summary>Cumulative Node counters become deltas; a counter that goes down is a fresh start, never a negative amount.</summary>
public sealed class ForwardCounterTests
{
    [Fact]
    public void Delta_is_the_growth_or_everything_after_a_reset()
    {
        ForwardCounters.Delta(new(100, 200, 3), new(150, 260, 5)).Should().Be(new ForwardCounters(50, 60, 2));
        ForwardCounters.Delta(new(100, 200, 3), new(100, 200, 3)).IsZero.Should().BeTrue();
        // The Node lost its counter file: what it reports now is all new.
        ForwardCounters.Delta(new(100, 200, 3), new(40, 500, 4)).Should().Be(new ForwardCounters(40, 500, 4));
        ForwardCounters.Delta(new(100, 200, 3), new(0, 0, 0)).Should().Be(new ForwardCounters(0, 0, 0));
    }

    [Fact]
    public void Only_the_entry_node_moves_the_rules_totals_and_rates_come_from_the_report_interval()
    {
        var live = new ForwardLive();
        var rule = Rule("r1", entry: "a", chain: ["a", "c"]);
        live.Load([rule]);

        live.ApplyEntryReport("c", Stats("r1", 1000, 1000, 1), 0).Should().BeNull("the exit sees the same bytes again");
        live.ApplyEntryReport("a", Stats("r1", 1000, 2000, 1), 10_000).Should().Be(new ForwardCounters(1000, 2000, 1));
        live.ApplyEntryReport("a", Stats("r1", 1000, 2000, 1), 12_000).Should().BeNull("nothing moved, nothing to store");
        live.ApplyEntryReport("a", Stats("r1", 4000, 2000, 2), 15_000).Should().Be(new ForwardCounters(3000, 0, 1));
        live.Entry("r1")!.RateIn.Should().Be(1000, "3000 bytes in the 3 s since the last report");
        // Restarted with fresh counters.
        live.ApplyEntryReport("a", Stats("r1", 500, 100, 1), 18_000).Should().Be(new ForwardCounters(500, 100, 1));

        var totals = live.Find("r1")!;
        (totals.BytesIn, totals.BytesOut, totals.ConnectionsTotal).Should().Be((4500L, 2100L, 3L));
        (totals.ReportedBytesIn, totals.ReportedBytesOut, totals.ReportedConnections).Should().Be((500L, 100L, 1L));

        // Changing the settings keeps the totals counted so far.
        live.Put(Rule("r1", entry: "a", chain: ["a", "c"]));
        live.Find("r1")!.BytesIn.Should().Be(4500);
    }

    internal static ForwardRule Rule(string id, string entry, string[] chain, long createdAt = 0)
    {
        var rule = new ForwardRule
        {
            Id = id, Name = id, NodeId = entry, Protocol = "tcp", ListenAddress = "0.0.0.0", ListenPort = 10080, TargetsJson = "[\"10.0.0.5:80\"]",
            Balance = "roundrobin", Mode = "userspace", ChainJson = "[]", QuotaAction = "block", CreatedBy = "t", UpdatedBy = "t", ResetDay = 1,
            CreatedAt = createdAt,
        };
        rule.Chain = [.. chain.Select(n => new ForwardHop { NodeId = n, Port = 20000, Secret = HopPreamble.NewSecret() })];
        return rule;
    }

    internal static ForwardPlacementStats Stats(string ruleId, long bytesIn, long bytesOut, long connections, string status = "active", string? error = null) =>
        new() { RuleId = ruleId, Status = status, Error = error, BytesIn = bytesIn, BytesOut = bytesOut, ConnectionsTotal = connections };
}
