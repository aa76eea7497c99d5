namespace SentinelX.Shared.Protocol;

/// <summary>Error codes used in JSON-RPC error objects (JSON-RPC 2.0 §5.1 plus SentinelX's own).</summary>
public static class JsonRpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>The message exceeded <see cref="ProtocolInfo.MaxMessageBytes"/>.</summary>
    public const int MessageTooLarge = -32001;

    /// <summary>The request did not get a response in time.</summary>
    public const int Timeout = -32002;

    /// <summary>The peer speaks a protocol version this side does not support.</summary>
    public const int UnsupportedVersion = -32003;

    /// <summary>The peer is not allowed to call this method now (e.g. samples before hello).</summary>
    public const int NotAllowed = -32004;

    /// <summary>The peer has too many requests in flight, or repeats a costly one too often; nothing was done.</summary>
    public const int TooManyRequests = -32005;

    /// <summary>The Node's own config does not allow this capability (its <c>allow</c> list); the message names it.</summary>
    public const int CapabilityForbidden = -32010;

    /// <summary>A path, container or process the request names does not exist.</summary>
    public const int NotFound = -32011;

    /// <summary>The operating system refused the operation (permissions, a path outside the allowed roots, ...).</summary>
    public const int OperationFailed = -32012;
}

/// <summary>A JSON-RPC error object.</summary>
public sealed record JsonRpcError
{
    public required int Code { get; init; }
    public required string Message { get; init; }
    public string? Data { get; init; }
}

/// <summary>Thrown for a JSON-RPC error: one the peer answered with, or one a handler wants to answer with.</summary>
public sealed class JsonRpcException(int code, string message, string? data = null) : Exception(message)
{
    public int Code { get; } = code;
    public string? ErrorData { get; } = data;

    public JsonRpcError ToError() => new() { Code = Code, Message = Message, Data = ErrorData };
}
