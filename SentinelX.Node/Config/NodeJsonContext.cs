using System.Text.Json;
using System.Text.Json.Serialization;
using SentinelX.Node.Connection;

namespace SentinelX.Node.Config;

/// <summary>Source-generated JSON for the Node's own files (identity, join ticket) and its raw sample batches.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(NodeIdentity))]
[JsonSerializable(typeof(JoinTicket))]
[JsonSerializable(typeof(RawSampleBatch))]
internal sealed partial class NodeJsonContext : JsonSerializerContext;
