using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Nodes;

/// <summary>Why an operation on a Node did not happen. Each kind has exactly one HTTP status and one stable code.</summary>
public enum NodeFailureKind
{
    /// <summary>No Node has the id the request names.</summary>
    UnknownNode,

    /// <summary>The Node is not connected, or disconnected before it answered.</summary>
    Offline,

    /// <summary>The Core's switch for the capability is off for this Node.</summary>
    CoreLock,

    /// <summary>The Node's owner does not allow the capability in the Node's own config.</summary>
    NodeLock,

    /// <summary>The Node refused this one operation: a path outside its roots, a symbolic link, no permission; or the caller's role.</summary>
    Forbidden,

    /// <summary>The Node did not answer in time.</summary>
    TimedOut,

    /// <summary>The request itself is wrong; nothing was sent, or the Node said so.</summary>
    BadRequest,

    /// <summary>What the request names (a file, a container, a run) does not exist.</summary>
    NotFound,

    /// <summary>The request clashes with the current state (a file that exists, a port in use, a run that ended).</summary>
    Conflict,

    /// <summary>The request was understood but could not be carried out.</summary>
    Unprocessable,

    /// <summary>Too many at once: the Node's request limit, or the user's own.</summary>
    TooMany,

    /// <summary>The Node failed in a way none of the others describe; its own message is the detail.</summary>
    NodeError,
}

/// <summary>
/// A remote operation that did not happen, and the one way it travels to HTTP: <see cref="ToProblem"/>
/// gives an RFC 9457 problem whose status, <c>type</c> and <c>code</c> follow from <see cref="Kind"/>
/// alone, so the UI and scripts can match on the code whatever the title says.
/// </summary>
public sealed record NodeFailure(NodeFailureKind Kind, string Title, string Detail)
{
    /// <summary>Prefix of the problem's <c>type</c>; the code follows it.</summary>
    public const string TypePrefix = "urn:sentinelx:problem:";

    /// <summary>Longest part of a requested id echoed back in a detail; ids are short, anything longer is not one.</summary>
    private const int MaxEchoedId = 80;

    /// <summary>Field name to messages, for a form to show next to its inputs (the problem's <c>errors</c>).</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    public int Status => StatusOf(Kind);

    /// <summary>Stable, lower-case: what a script matches on.</summary>
    public string Code => CodeOf(Kind);

    /// <summary>"core", "node" or "offline" when one of the locks (or a missing connection) was the reason.</summary>
    public string? Lock => Kind switch
    {
        NodeFailureKind.CoreLock => CapabilityLocks.CoreLock,
        NodeFailureKind.NodeLock => CapabilityLocks.NodeLock,
        NodeFailureKind.Offline => CapabilityLocks.Offline,
        _ => null,
    };

    public static int StatusOf(NodeFailureKind kind) => kind switch
    {
        NodeFailureKind.UnknownNode => StatusCodes.Status404NotFound,
        NodeFailureKind.Offline => StatusCodes.Status503ServiceUnavailable,
        NodeFailureKind.CoreLock or NodeFailureKind.NodeLock or NodeFailureKind.Forbidden => StatusCodes.Status403Forbidden,
        NodeFailureKind.TimedOut => StatusCodes.Status504GatewayTimeout,
        NodeFailureKind.BadRequest => StatusCodes.Status400BadRequest,
        NodeFailureKind.NotFound => StatusCodes.Status404NotFound,
        NodeFailureKind.Conflict => StatusCodes.Status409Conflict,
        NodeFailureKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        NodeFailureKind.TooMany => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status502BadGateway,
    };

    public static string CodeOf(NodeFailureKind kind) => kind switch
    {
        NodeFailureKind.UnknownNode => "node-not-found",
        NodeFailureKind.Offline => "node-offline",
        NodeFailureKind.CoreLock => "capability-off",
        NodeFailureKind.NodeLock => "capability-not-allowed",
        NodeFailureKind.Forbidden => "forbidden",
        NodeFailureKind.TimedOut => "node-timeout",
        NodeFailureKind.BadRequest => "bad-request",
        NodeFailureKind.NotFound => "not-found",
        NodeFailureKind.Conflict => "conflict",
        NodeFailureKind.Unprocessable => "unprocessable",
        NodeFailureKind.TooMany => "too-many",
        _ => "node-error",
    };

    /// <summary>The RFC 9457 problem: <c>type</c> and <c>code</c> from the kind, <c>lock</c> and <c>errors</c> when there are any.</summary>
    public ProblemHttpResult ToProblem()
    {
        var extensions = new Dictionary<string, object?> { ["code"] = Code };
        if (Lock is { } lockName) extensions["lock"] = lockName;
        if (Errors is { Count: > 0 } errors) extensions["errors"] = errors;
        return TypedResults.Problem(title: Title, detail: Detail, statusCode: Status, type: TypePrefix + Code, extensions: extensions);
    }

    /// <summary>The one answer for an id no Node has, wherever the id came from.</summary>
    public static NodeFailure UnknownNode(string? id) =>
        new(NodeFailureKind.UnknownNode, "Node not found", $"there is no node with id {Echo(id)}");

    public static NodeFailure Offline(NodeState node) =>
        new(NodeFailureKind.Offline, "Node offline", $"node {node.Name} ({node.Id}) is not connected");

    public static NodeFailure Disconnected(NodeState node) =>
        new(NodeFailureKind.Offline, "Node offline", $"node {node.Name} ({node.Id}) disconnected before it answered");

    public static NodeFailure BadRequest(string title, string detail) => new(NodeFailureKind.BadRequest, title, detail);

    public static NodeFailure Conflict(string title, string detail) => new(NodeFailureKind.Conflict, title, detail);

    public static NodeFailure TimedOut(string detail) => new(NodeFailureKind.TimedOut, "Node did not answer", detail);

    /// <summary>What went wrong talking to <paramref name="node"/>: its JSON-RPC error, a lost connection or a wait that ran out.</summary>
    public static NodeFailure From(NodeState node, Exception ex, string capability) => ex switch
    {
        JsonRpcException rpc => FromRpc(rpc, capability),
        TimeoutException => TimedOut(ex.Message),
        _ => Disconnected(node),
    };

    /// <summary>
    /// The one map from a Node's JSON-RPC error to a failure. <see cref="JsonRpcErrorCodes.OperationFailed"/>
    /// is refined by the reason in the error's data: a files reason, or the HTTP status Docker answered with.
    /// </summary>
    public static NodeFailure FromRpc(JsonRpcException ex, string capability) => ex.Code switch
    {
        JsonRpcErrorCodes.CapabilityForbidden => new(NodeFailureKind.NodeLock, $"{capability} is not allowed by the server's own config", ex.Message),
        JsonRpcErrorCodes.NotFound => new(NodeFailureKind.NotFound, "Not found on the node", ex.Message),
        JsonRpcErrorCodes.InvalidParams => new(NodeFailureKind.BadRequest, "Invalid request", ex.Message),
        JsonRpcErrorCodes.Timeout => new(NodeFailureKind.TimedOut, "Node did not answer", ex.Message),
        JsonRpcErrorCodes.TooManyRequests => new(NodeFailureKind.TooMany, "Node is busy", ex.Message),
        JsonRpcErrorCodes.OperationFailed => ex.ErrorData switch
        {
            FilesErrorReasons.OutsideRoots => new(NodeFailureKind.Forbidden, "Outside the allowed roots", ex.Message),
            FilesErrorReasons.Permission => new(NodeFailureKind.Forbidden, "Permission denied", ex.Message),
            FilesErrorReasons.Symlink => new(NodeFailureKind.Forbidden, "Symbolic link refused", ex.Message),
            FilesErrorReasons.NotEmpty => new(NodeFailureKind.Conflict, "Directory not empty", ex.Message),
            FilesErrorReasons.Exists => new(NodeFailureKind.Conflict, "Already exists", ex.Message),
            FilesErrorReasons.BadOffset => new(NodeFailureKind.Conflict, "Offset does not match the file", ex.Message),
            FilesErrorReasons.NotAFile => new(NodeFailureKind.Unprocessable, "Wrong kind of file", ex.Message),
            // Docker's own 409 (e.g. removing a running container without force) stays a conflict.
            "409" => new(NodeFailureKind.Conflict, $"Refused by {capability}", ex.Message),
            _ => new(NodeFailureKind.Unprocessable, "The operation failed on the node", ex.Message),
        },
        _ => new(NodeFailureKind.NodeError, "Node error", ex.Message),
    };

    private static string Echo(string? id) => id is null ? "(none)" : id.Length <= MaxEchoedId ? id : id[..MaxEchoedId] + "…";
}

/// <summary>The value of an operation on a Node, or the <see cref="NodeFailure"/> that says why there is none.</summary>
public readonly struct NodeResult<T>
{
    private readonly T? _value;

    private NodeResult(T? value, NodeFailure? failure)
    {
        _value = value;
        Failure = failure;
    }

    public NodeFailure? Failure { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Failure is null;

    /// <summary>Set exactly when <see cref="Succeeded"/>.</summary>
    public T? Value => _value;

    public static implicit operator NodeResult<T>(T value) => new(value, null);

    public static implicit operator NodeResult<T>(NodeFailure failure) => new(default, failure);

    /// <summary>200 with the value, or the failure's problem.</summary>
    public Results<Ok<T>, ProblemHttpResult> ToHttp() => Failure is null ? TypedResults.Ok(_value!) : Failure.ToProblem();
}

/// <summary>Requests to a Node whose every failure comes back as a <see cref="NodeFailure"/> instead of an exception.</summary>
public static class NodeRequests
{
    public static async Task<NodeResult<TResult>> RequestAsync<TParams, TResult>(
        this NodeState node, string capability, string method, TParams parameters,
        JsonTypeInfo<TParams> paramsInfo, JsonTypeInfo<TResult> resultInfo, TimeSpan? timeout, CancellationToken ct)
    {
        if (node.Session is not { } session) return NodeFailure.Offline(node);
        try
        {
            return await session.Peer.RequestAsync(method, parameters, paramsInfo, resultInfo, timeout, ct);
        }
        catch (Exception ex) when (ex is JsonRpcException or IOException or TimeoutException)
        {
            return NodeFailure.From(node, ex, capability);
        }
    }
}
