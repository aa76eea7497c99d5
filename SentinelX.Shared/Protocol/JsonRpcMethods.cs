using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SentinelX.Shared.Protocol;

/// <summary>
/// The methods one side of a connection answers: a map from method name to a typed handler.
/// Params are bound with source-generated type info, so binding never needs reflection.
/// </summary>
public sealed class JsonRpcMethods
{
    private readonly Dictionary<string, Handler> _handlers = new(StringComparer.Ordinal);

    /// <summary>Registers a request handler; its return value becomes the response's result.</summary>
    public JsonRpcMethods OnRequest<TParams, TResult>(
        string method,
        JsonTypeInfo<TParams> paramsInfo,
        JsonTypeInfo<TResult> resultInfo,
        Func<TParams, CancellationToken, ValueTask<TResult>> handler)
    {
        _handlers[method] = new Handler(false, async (element, writer, ct) =>
        {
            var result = await handler(Bind(element, paramsInfo), ct).ConfigureAwait(false);
            JsonSerializer.Serialize(writer, result, resultInfo);
        });
        return this;
    }

    /// <summary>Registers a notification handler. Notifications are handled one at a time, in arrival order.</summary>
    public JsonRpcMethods OnNotification<TParams>(
        string method,
        JsonTypeInfo<TParams> paramsInfo,
        Func<TParams, CancellationToken, ValueTask> handler)
    {
        _handlers[method] = new Handler(true, async (element, _, ct) =>
            await handler(Bind(element, paramsInfo), ct).ConfigureAwait(false));
        return this;
    }

    internal bool TryGet(string method, out Handler handler) => _handlers.TryGetValue(method, out handler!);

    private static T Bind<T>(JsonElement? element, JsonTypeInfo<T> info)
    {
        try
        {
            // Absent params bind as an empty object so parameterless methods need no special case.
            var value = element is { ValueKind: not JsonValueKind.Null } e
                ? e.Deserialize(info)
                : JsonSerializer.Deserialize("{}"u8, info);
            return value ?? throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "params must be an object");
        }
        catch (JsonException ex)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "invalid params", ex.Message);
        }
    }

    /// <summary>A bound handler: invoked with the raw params and a writer positioned where the result goes.</summary>
    internal sealed record Handler(bool IsNotification, Func<JsonElement?, Utf8JsonWriter, CancellationToken, Task> Invoke);
}
