using FluentAssertions;
using SentinelX.Node.Forwarding;
using Xunit;

namespace SentinelX.Tests.Forwarding;

public sealed class ForwardStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sx-forward-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ForwardCountersFile Counters(long bytesIn) =>
        new() { Rules = { ["r1"] = new ForwardCounterState { BytesIn = bytesIn, QuotaPeriodStart = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero) } } };

    [Fact]
    public void Counters_are_written_when_they_change_and_not_rewritten_while_they_stay_the_same()
    {
        var store = new ForwardStore(_dir);
        store.SaveCounters(Counters(10));
        // Set back, so a rewrite within the same clock tick would still show.
        var earlier = File.GetLastWriteTimeUtc(store.CountersPath).AddMinutes(-5);
        File.SetLastWriteTimeUtc(store.CountersPath, earlier);

        store.SaveCounters(Counters(10));

        File.GetLastWriteTimeUtc(store.CountersPath).Should().Be(earlier, "the same counters are not written again");

        store.SaveCounters(Counters(11));

        store.LoadCounters().Rules["r1"].BytesIn.Should().Be(11);
        new ForwardStore(_dir).LoadCounters().Should().BeEquivalentTo(Counters(11), "a restarted Node reads what was last saved");
        File.GetUnixFileMode(store.CountersPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
