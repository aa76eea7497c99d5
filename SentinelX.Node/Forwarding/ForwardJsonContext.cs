using System.Text.Json;
using System.Text.Json.Serialization;

namespace SentinelX.Node.Forwarding;

/// <summary>The counters file: per rule id, the totals that must survive a restart.</summary>
internal sealed record ForwardCountersFile
{
    public Dictionary<string, ForwardCounterState> Rules { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>Source-generated JSON for the forwarding engine's own files.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(ForwardCountersFile))]
internal sealed partial class ForwardJsonContext : JsonSerializerContext;
