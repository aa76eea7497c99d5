using Xunit;

namespace SentinelX.E2E.Infrastructure;

/// <summary>
/// Classes that measure what other tests running beside them would disturb (bandwidth limits,
/// CPU readings, connection counts from /proc, kernel forwarding state): they run one at a time
/// after the parallel part of the run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
