using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>Counters of one kernel-mode rule, read from its tagged firewall rules.</summary>
internal readonly record struct KernelCounters(long BytesIn, long BytesOut, int ConnectionsActive, long ConnectionsTotal);

/// <summary>
/// Kernel-mode forwards: DNAT + masquerade rules in the firewall, each tagged with its rule id, so
/// they can be counted, replaced and removed exactly. The Node owns one table of its own and nothing else.
/// </summary>
internal sealed class KernelForwarder
{
    /// <summary>Removes everything this Node ever installed (called at start, before restoring placements).</summary>
    public Task ResetAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Makes the firewall hold exactly <paramref name="placements"/> (all kernel mode, no chain).
    /// Returns an error per rule id that could not be installed (others are installed).
    /// </summary>
    public Task<IReadOnlyDictionary<string, string>> ApplyAsync(IReadOnlyList<ForwardPlacement> placements, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(
            placements.ToDictionary(p => p.RuleId, _ => "kernel mode is not available in this build", StringComparer.Ordinal));

    /// <summary>Current counters per rule id, for installed rules.</summary>
    public Task<IReadOnlyDictionary<string, KernelCounters>> ReadCountersAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, KernelCounters>>(new Dictionary<string, KernelCounters>());
}
