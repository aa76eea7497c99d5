using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Metrics;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.Dashboard;

#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class TrafficMeterTests() : MetricsTestBase(new SqliteDatabases())
#pragma warning restore CA2000
{
    [Fact]
    public async Task Adds_the_live_counter_to_the_rolled_up_hours_of_the_period()
    {
        var now = new DateTimeOffset(2026, 11, 24, 10, 30, 0, TimeSpan.Zero);
        Clock.NowMs = now.ToUnixTimeMilliseconds();
        var periodStart = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(); // reset day 24
        const long h = 3_600_000;
        var record = new NodeRecord { Id = "n1", Name = "n1", MachineId = "m1", SecretHash = "", TrafficResetDay = 24 };
        await using (var db = Factory.CreateDbContext())
        {
            db.Nodes.Add(record);
            db.HourRollups.AddRange(
                Hour("n1", periodStart - 2 * h, 1_000, 100), // before the period: ignored
                Hour("n1", periodStart - h, 5_000, 1_000), // the reading the period starts from
                Hour("n1", periodStart, 8_000, 1_500),
                Hour("n1", periodStart + 9 * h, 20_000, 4_000));
            await db.SaveChangesAsync();
        }
        var node = new NodeState(record);
        node.Offer(new MetricSample { Seq = 1, Timestamp = now, NetRxTotal = 26_000, NetTxTotal = 4_500 });

        var meter = new TrafficMeter(Factory, Clock, NullLogger<TrafficMeter>.Instance);
        var refreshed = new TaskCompletionSource();
        meter.Refreshed += _ => refreshed.TrySetResult();
        meter.Get(node).Should().Be(default(MonthTraffic), "nothing is read on the caller's thread");
        await refreshed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        meter.Get(node).Should().Be(new MonthTraffic(15_000 + 6_000, 3_000 + 500));

        // The next sample moves the figure without another database read.
        node.Offer(new MetricSample { Seq = 2, Timestamp = now.AddSeconds(1), NetRxTotal = 27_000, NetTxTotal = 4_600 });
        meter.Get(node).Should().Be(new MonthTraffic(22_000, 3_600));
    }

    private static HourRollup Hour(string node, long bucket, long rxTotal, long txTotal) =>
        new() { NodeId = node, Bucket = bucket, SampleCount = 3600, NetRxTotalLast = rxTotal, NetTxTotalLast = txTotal };
}
