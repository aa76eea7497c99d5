using Xunit;

namespace SentinelX.Tests.Forwarding;

/// <summary>
/// Tests that measure a rate on real sockets (bandwidth limits, throttles) run alone, after the
/// parallel ones: beside dozens of other tests on two cores, timer wake-ups come late enough to
/// measure the scheduler instead of the limit.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredRates
{
    public const string Name = "measured rates";
}
