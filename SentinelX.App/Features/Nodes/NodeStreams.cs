using System.Collections.Concurrent;
using System.Net.WebSockets;
using SentinelX.App.Features.Keys;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// A data stream the Core asked a Node to open. The operation puts <see cref="Id"/> in its request,
/// awaits <see cref="ConnectAsync"/> for the Node's WebSocket, uses it, then disposes this, which
/// ends the Node's HTTP request.
/// </summary>
public sealed class PendingStream : IDisposable
{
    private readonly TaskCompletionSource<WebSocket> _socket = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly NodeStreams _owner;

    internal PendingStream(NodeStreams owner, string nodeId)
    {
        _owner = owner;
        NodeId = nodeId;
    }

    /// <summary>Random and single-use; the Node sends it back in <c>X-SentinelX-Stream</c>.</summary>
    public string Id { get; } = SecretText.New("sxs_");

    public string NodeId { get; }

    /// <summary>Waits for the Node to dial in; throws <see cref="TimeoutException"/> when it does not in time.</summary>
    public async Task<WebSocket> ConnectAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return await _socket.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"node {NodeId} did not open the data stream within {timeout.TotalSeconds:0} s");
        }
    }

    internal Task Done => _done.Task;

    internal bool Offer(WebSocket socket) => _socket.TrySetResult(socket);

    public void Dispose()
    {
        _owner.Forget(Id);
        _socket.TrySetCanceled();
        _done.TrySetResult();
    }
}

/// <summary>
/// Matches the Nodes' incoming stream connections (<c>/api/v1/node/stream</c>) to the operations
/// that asked for them. A stream id is accepted once, only from the Node it was made for.
/// </summary>
public sealed class NodeStreams
{
    private readonly ConcurrentDictionary<string, PendingStream> _pending = new(StringComparer.Ordinal);

    public PendingStream Expect(string nodeId)
    {
        var stream = new PendingStream(this, nodeId);
        _pending[stream.Id] = stream;
        return stream;
    }

    /// <summary>Hands the Node's socket to the waiting operation; the returned task ends when it is finished with it.</summary>
    internal Task? Accept(string streamId, string nodeId, WebSocket socket)
    {
#pragma warning disable CA2000 // the stream belongs to the operation that called Expect; this only hands it the socket
        if (!_pending.TryRemove(streamId, out var stream)) return null;
#pragma warning restore CA2000
        if (stream.NodeId != nodeId || !stream.Offer(socket)) return null;
        return stream.Done;
    }

    internal bool IsExpected(string streamId, string nodeId) =>
        _pending.TryGetValue(streamId, out var stream) && stream.NodeId == nodeId;

    internal void Forget(string id) => _pending.TryRemove(id, out _);
}
