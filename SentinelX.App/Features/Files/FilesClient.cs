using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Files;

/// <summary>
/// The Core's side of the files methods. Callers check the locks and the role first; this sends the
/// request, moves bytes over a data stream for downloads and uploads, and answers every Node error
/// as a <see cref="NodeFailure"/>.
/// </summary>
public sealed class FilesClient(NodeStreams streams)
{
    /// <summary>How long the Node has to dial a data stream after accepting a transfer.</summary>
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long the Node has to confirm an upload after its last byte (it flushes to disk first).</summary>
    private static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(120);

    private const int ChunkBytes = 256 * 1024;
    private static readonly ProtocolJsonContext Json = ProtocolJsonContext.Default;

    public Task<NodeResult<FilesListResult>> ListAsync(NodeState node, string path, CancellationToken ct) =>
        CallAsync(node, Methods.FilesList, new FilesListParams { Path = path }, Json.FilesListParams, Json.FilesListResult, ct);

    public Task<NodeResult<FilesDone>> MkdirAsync(NodeState node, string path, CancellationToken ct) =>
        CallAsync(node, Methods.FilesMkdir, new FilesMkdirParams { Path = path }, Json.FilesMkdirParams, Json.FilesDone, ct);

    public Task<NodeResult<FilesDone>> RenameAsync(NodeState node, string from, string to, CancellationToken ct) =>
        CallAsync(node, Methods.FilesRename, new FilesRenameParams { From = from, To = to }, Json.FilesRenameParams, Json.FilesDone, ct);

    public Task<NodeResult<FilesDone>> DeleteAsync(NodeState node, string path, bool recursive, CancellationToken ct) =>
        // A recursive delete of a big tree takes a while; the Node answers when it is done.
        CallAsync(node, Methods.FilesDelete, new FilesDeleteParams { Path = path, Recursive = recursive }, Json.FilesDeleteParams, Json.FilesDone, ct,
            recursive ? TimeSpan.FromMinutes(5) : null);

    public Task<NodeResult<FilesDone>> ChmodAsync(NodeState node, string path, string mode, CancellationToken ct) =>
        CallAsync(node, Methods.FilesChmod, new FilesChmodParams { Path = path, Mode = mode }, Json.FilesChmodParams, Json.FilesDone, ct);

    /// <summary>
    /// Asks the Node for a file. The returned download knows the size (for Content-Length) before any
    /// byte moves; <see cref="FileDownload.CopyToAsync"/> then streams it. Dispose it in every case.
    /// </summary>
    public async Task<NodeResult<FileDownload>> OpenReadAsync(NodeState node, string path, long offset, CancellationToken ct)
    {
        var stream = streams.Expect(node.Id);
        try
        {
            var read = await CallAsync(node, Methods.FilesRead, new FilesReadParams { Path = path, StreamId = stream.Id, Offset = offset },
                Json.FilesReadParams, Json.FilesReadResult, ct);
            if (read.Succeeded) return new FileDownload(stream, read.Value.Path, read.Value.Size, offset);
            stream.Dispose();
            return read.Failure;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Streams <paramref name="source"/> to the Node into <paramref name="path"/> at <paramref name="offset"/>; returns the file's size afterwards.</summary>
    /// <exception cref="IOException">Reading <paramref name="source"/> failed (the client's upload broke).</exception>
    public async Task<NodeResult<long>> WriteAsync(NodeState node, string path, long offset, Stream source, CancellationToken ct)
    {
        using var stream = streams.Expect(node.Id);
        var accepted = await CallAsync(node, Methods.FilesWrite, new FilesWriteParams { Path = path, StreamId = stream.Id, Offset = offset, Truncate = true },
            Json.FilesWriteParams, Json.FilesWriteAccepted, ct);
        if (!accepted.Succeeded) return accepted.Failure;
        WebSocket socket;
        try
        {
            socket = await stream.ConnectAsync(StreamTimeout, ct);
        }
        catch (TimeoutException ex)
        {
            return NodeFailure.TimedOut(ex.Message);
        }

        // The Node may refuse mid-way (disk full); its answer is read alongside so it is not lost when sending fails.
        var outcome = ReadOutcomeAsync(socket, ct);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, ChunkBytes), ct)) > 0)
            {
                if (outcome.IsCompleted) break;
                await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, true, ct);
            }

            if (!outcome.IsCompleted) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
        }
        catch (WebSocketException) when (!ct.IsCancellationRequested)
        {
            // The Node ended the stream; its outcome says why.
        }
        catch
        {
            socket.Abort();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        FilesWriteOutcome? answer;
        try
        {
            answer = await outcome.WaitAsync(ConfirmTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            socket.Abort();
            return NodeFailure.TimedOut($"node {node.Name} did not confirm the write within {ConfirmTimeout.TotalSeconds:0} s");
        }

        if (answer is { Size: { } size }) return size;
        if (answer is { Code: { } code }) return NodeFailure.FromRpc(new JsonRpcException(code, answer.Message ?? "write failed"), Capabilities.Files);
        return new NodeFailure(NodeFailureKind.NodeError, "Upload failed", $"node {node.Name} closed the upload stream without confirming the write; the file was not replaced");
    }

    private static async Task<FilesWriteOutcome?> ReadOutcomeAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[4096];
        var count = 0;
        FilesWriteOutcome? outcome = null;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(count), ct);
                if (result.MessageType == WebSocketMessageType.Close) return outcome;
                count += result.Count;
                if (result.EndOfMessage)
                {
                    outcome = JsonSerializer.Deserialize(buffer.AsSpan(0, count), Json.FilesWriteOutcome);
                    count = 0;
                }
                else if (count == buffer.Length)
                {
                    return outcome;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or JsonException or OperationCanceledException)
        {
            return outcome;
        }
    }

    /// <summary>The data stream the Node dials for a transfer; one that never comes is a broken transfer.</summary>
    internal static async Task<WebSocket> ConnectAsync(PendingStream stream, CancellationToken ct)
    {
        try
        {
            return await stream.ConnectAsync(StreamTimeout, ct);
        }
        catch (TimeoutException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    private static Task<NodeResult<TResult>> CallAsync<TParams, TResult>(NodeState node, string method, TParams parameters,
        JsonTypeInfo<TParams> paramsInfo, JsonTypeInfo<TResult> resultInfo, CancellationToken ct, TimeSpan? timeout = null) =>
        node.RequestAsync(Capabilities.Files, method, parameters, paramsInfo, resultInfo, timeout, ct);
}

/// <summary>A file the Node agreed to send; the bytes flow on <see cref="CopyToAsync"/>.</summary>
public sealed class FileDownload(PendingStream stream, string path, long size, long offset) : IDisposable
{
    private const int ChunkBytes = 256 * 1024;

    public string Path => path;
    public long Size => size;

    /// <summary>Bytes this download carries (the size less the offset).</summary>
    public long Length => size - offset;

    public string FileName => System.IO.Path.GetFileName(path) is { Length: > 0 } name ? name : "download";

    /// <summary>
    /// Copies every byte to <paramref name="destination"/>. Throws <see cref="IOException"/> when the
    /// Node stopped early, so a cut file is never served as a whole one.
    /// </summary>
    public async Task<long> CopyToAsync(Stream destination, CancellationToken ct)
    {
        var socket = await FilesClient.ConnectAsync(stream, ct);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        long copied = 0;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                if (result.MessageType == WebSocketMessageType.Close) break;
                if (result.Count == 0) continue;
                await destination.WriteAsync(buffer.AsMemory(0, result.Count), ct);
                copied += result.Count;
            }

            if (socket.State == WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
            if (socket.CloseStatus != WebSocketCloseStatus.NormalClosure)
                throw new IOException($"the node stopped sending {path}: {socket.CloseStatusDescription ?? "no reason given"}");
            if (copied != Length)
                throw new IOException($"{path} changed while it was sent: {copied} of {Length} bytes");
            return copied;
        }
        catch (WebSocketException ex)
        {
            throw new IOException($"the node's stream for {path} broke: {ex.Message}", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => stream.Dispose();
}
