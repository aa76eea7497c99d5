using System.Text.Json;
using System.Text.Json.Serialization;
using SentinelX.Node.Outbox;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Connection;

/// <summary>
/// A <see cref="SampleBatch"/> whose samples are already JSON (as stored in the outbox): it is written
/// as <c>{"samples":[…]}</c> without parsing and re-serializing every sample on replay.
/// </summary>
[JsonConverter(typeof(RawSampleBatchConverter))]
internal sealed class RawSampleBatch(IReadOnlyList<OutboxRecord> records)
{
    public IReadOnlyList<OutboxRecord> Records { get; } = records;
}

internal sealed class RawSampleBatchConverter : JsonConverter<RawSampleBatch>
{
    public override RawSampleBatch Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("the Node only sends sample batches");

    public override void Write(Utf8JsonWriter writer, RawSampleBatch value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("samples"u8);
        foreach (var record in value.Records) writer.WriteRawValue(record.Json, skipInputValidation: true);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
