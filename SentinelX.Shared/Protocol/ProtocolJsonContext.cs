using System.Text.Json;
using System.Text.Json.Serialization;
using SentinelX.Shared.Metrics;

namespace SentinelX.Shared.Protocol;

/// <summary>Source-generated JSON for every protocol type, so neither side needs reflection.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(JsonRpcError))]
[JsonSerializable(typeof(EmptyParams))]
[JsonSerializable(typeof(EnrollRequest))]
[JsonSerializable(typeof(EnrollResponse))]
[JsonSerializable(typeof(EnrollPending))]
[JsonSerializable(typeof(HelloParams))]
[JsonSerializable(typeof(HelloResult))]
[JsonSerializable(typeof(HeartbeatParams))]
[JsonSerializable(typeof(HeartbeatResult))]
[JsonSerializable(typeof(SampleBatch))]
[JsonSerializable(typeof(SampleAck))]
[JsonSerializable(typeof(MetricSample))]
[JsonSerializable(typeof(SystemInfo))]
[JsonSerializable(typeof(ProblemDetailsMessage))]
// exec
[JsonSerializable(typeof(ExecStartParams))]
[JsonSerializable(typeof(ExecStartResult))]
[JsonSerializable(typeof(ExecOutput))]
[JsonSerializable(typeof(ExecExit))]
[JsonSerializable(typeof(ExecCancelParams))]
[JsonSerializable(typeof(ExecCancelResult))]
// files
[JsonSerializable(typeof(FilesListParams))]
[JsonSerializable(typeof(FilesListResult))]
[JsonSerializable(typeof(FileEntry))]
[JsonSerializable(typeof(FilesMkdirParams))]
[JsonSerializable(typeof(FilesRenameParams))]
[JsonSerializable(typeof(FilesDeleteParams))]
[JsonSerializable(typeof(FilesChmodParams))]
[JsonSerializable(typeof(FilesReadParams))]
[JsonSerializable(typeof(FilesReadResult))]
[JsonSerializable(typeof(FilesWriteParams))]
[JsonSerializable(typeof(FilesWriteAccepted))]
[JsonSerializable(typeof(FilesWriteOutcome))]
[JsonSerializable(typeof(FilesDone))]
// docker
[JsonSerializable(typeof(DockerInfo))]
[JsonSerializable(typeof(DockerContainerList))]
[JsonSerializable(typeof(DockerImageList))]
[JsonSerializable(typeof(DockerActionParams))]
[JsonSerializable(typeof(DockerActionResult))]
[JsonSerializable(typeof(DockerLogsParams))]
// shell
[JsonSerializable(typeof(ShellOpenParams))]
[JsonSerializable(typeof(ShellOpenResult))]
[JsonSerializable(typeof(ShellControl))]
// forward
[JsonSerializable(typeof(ForwardSyncParams))]
[JsonSerializable(typeof(ForwardSyncResult))]
[JsonSerializable(typeof(ForwardStatsReport))]
[JsonSerializable(typeof(ForwardPlacement))]
[JsonSerializable(typeof(ForwardPlacementStats))]
// processes
[JsonSerializable(typeof(ProcessTopParams))]
[JsonSerializable(typeof(ProcessTopResult))]
// probes
[JsonSerializable(typeof(ProbeSyncParams))]
[JsonSerializable(typeof(ProbeSyncResult))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;

/// <summary>The fields of an RFC 9457 problem document a Node reads from a refused HTTP request.</summary>
public sealed record ProblemDetailsMessage
{
    public string? Title { get; init; }
    public string? Detail { get; init; }
    public int? Status { get; init; }
}
