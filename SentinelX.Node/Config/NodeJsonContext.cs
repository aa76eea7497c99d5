using System.Text.Json;
using System.Text.Json.Serialization;
using SentinelX.Node.Connection;

namespace SentinelX.Node.Config;

/// <summary>Source-generated JSON for the Node's own files (config, identity) and its raw sample batches.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    // Names match case-insensitively (Web defaults); an unknown one such as "sampleInterval" in
    // node.json is an error, not a silently ignored line.
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(NodeFileConfig))]
[JsonSerializable(typeof(NodeIdentity))]
[JsonSerializable(typeof(JoinTicket))]
[JsonSerializable(typeof(RawSampleBatch))]
internal sealed partial class NodeJsonContext : JsonSerializerContext;
