using System.Collections.Frozen;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// The Core's switches for one Node as <see cref="NodeRecord.Capabilities"/> stores them: known
/// capability names, comma-separated; anything else in the column is ignored.
/// </summary>
public static class EnabledCapabilities
{
    public static IReadOnlySet<string> Parse(string stored) =>
        stored.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(Capabilities.IsKnown).ToFrozenSet(StringComparer.Ordinal);
}
