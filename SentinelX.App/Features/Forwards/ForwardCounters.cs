namespace SentinelX.App.Features.Forwards;

/// <summary>The cumulative counters a Node reports for one placement.</summary>
public readonly record struct ForwardCounters(long BytesIn, long BytesOut, long Connections)
{
    /// <summary>
    /// What happened since <paramref name="last"/>. A counter lower than before means the Node
    /// started counting again (its state file was lost, or the rule was re-created there): the
    /// report is then a fresh start and all of it is new traffic.
    /// </summary>
    public static ForwardCounters Delta(ForwardCounters last, ForwardCounters current) =>
        current.BytesIn < last.BytesIn || current.BytesOut < last.BytesOut || current.Connections < last.Connections
            ? current
            : new ForwardCounters(current.BytesIn - last.BytesIn, current.BytesOut - last.BytesOut, current.Connections - last.Connections);

    public bool IsZero => BytesIn == 0 && BytesOut == 0 && Connections == 0;
}
