using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// Downloads and uploads over data streams. The request is answered (or refused) before any byte
/// moves; the bytes then go through one pooled buffer, so a file of any size costs the same memory.
/// </summary>
internal sealed class FilesTransfers(FilesPaths paths, SessionContext session)
{
    /// <summary>Bytes per binary frame and per file read or write.</summary>
    public const int ChunkBytes = 256 * 1024;

    private const string TempMarker = ".sx-upload-";

    public FilesReadResult StartRead(FilesReadParams p)
    {
        var path = paths.Resolve(p.Path, followLast: true);
        DemandRegular(path, mustExist: true);
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });
        try
        {
            var size = file.Length;
            if (p.Offset < 0 || p.Offset > size)
                throw FilesPaths.Refused(FilesErrorReasons.BadOffset, $"offset {p.Offset} is outside the file ({size} bytes)");
            file.Position = p.Offset;
            _ = Task.Run(() => SendAsync(file, p.StreamId), CancellationToken.None);
            return new FilesReadResult { Path = path, Size = size };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public FilesWriteAccepted StartWrite(FilesWriteParams p)
    {
        var path = paths.Resolve(p.Path, followLast: true);
        DemandRegular(path, mustExist: false);
        if (p.Offset < 0) throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "offset must not be negative");

        string? temp = null;
        FileStream file;
        if (p.Offset == 0 && p.Truncate)
        {
            // A fresh upload goes to a hidden file beside the target, renamed over it only once every
            // byte arrived: an aborted upload never leaves a half file under the real name.
            temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + TempMarker + RandomNumberGenerator.GetHexString(8, lowercase: true));
            var options = WriteOptions(FileMode.CreateNew);
            if (File.Exists(path)) options.UnixCreateMode = File.GetUnixFileMode(path);
            file = new FileStream(temp, options);
        }
        else
        {
            file = new FileStream(path, WriteOptions(p.Offset == 0 ? FileMode.OpenOrCreate : FileMode.Open));
            try
            {
                if (file.Length < p.Offset)
                    throw FilesPaths.Refused(FilesErrorReasons.BadOffset, $"{path} has {file.Length} bytes; a resumed upload must start at or before that");
                if (p.Truncate) file.SetLength(p.Offset);
                file.Position = p.Offset;
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        _ = Task.Run(() => ReceiveAsync(file, temp, path, p.StreamId), CancellationToken.None);
        return new FilesWriteAccepted { Path = path };
    }

    /// <summary>Only regular files move: a fifo or a device would block or never end.</summary>
    private static void DemandRegular(string path, bool mustExist)
    {
        if (!FilesNative.TryLstat(path, out var stat, out _))
        {
            if (mustExist) throw new JsonRpcException(JsonRpcErrorCodes.NotFound, $"no such file: {path}");
            return;
        }

        if (!stat.IsRegular)
            throw FilesPaths.Refused(FilesErrorReasons.NotAFile, stat.IsDirectory ? $"{path} is a directory" : $"{path} is not a regular file");
    }

    private static FileStreamOptions WriteOptions(FileMode mode) => new()
    {
        Mode = mode,
        Access = FileAccess.Write,
        Share = FileShare.Read,
        BufferSize = 0,
        Options = FileOptions.Asynchronous,
    };

    /// <summary>Sends the file in binary frames and closes normally; any failure closes abnormally so the Core never mistakes a cut file for a whole one.</summary>
    private async Task SendAsync(FileStream file, string streamId)
    {
        var ct = session.Closed;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        WebSocket? socket = null;
        try
        {
            socket = await session.Streams.DialAsync(streamId, ct);
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, ChunkBytes), ct)) > 0)
                await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, true, ct);
            await CloseAsync(socket, WebSocketCloseStatus.NormalClosure, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WebSocketException or OperationCanceledException)
        {
            if (socket is not null) await CloseAsync(socket, WebSocketCloseStatus.InternalServerError, Cap(ex.Message));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await file.DisposeAsync();
            socket?.Dispose();
        }
    }

    /// <summary>Writes binary frames until the Core closes normally, then answers with the size (or the error) in a text frame.</summary>
    private async Task ReceiveAsync(FileStream file, string? temp, string path, string streamId)
    {
        var ct = session.Closed;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        WebSocket? socket = null;
        var finished = false;
        try
        {
            socket = await session.Streams.DialAsync(streamId, ct);
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(0, ChunkBytes), ct);
                if (result.MessageType == WebSocketMessageType.Close) break;
                if (result.MessageType != WebSocketMessageType.Binary)
                    throw new IOException("the upload stream carried a text frame; only binary frames are file data");
                if (result.Count > 0) await file.WriteAsync(buffer.AsMemory(0, result.Count), ct);
            }

            if (socket.CloseStatus != WebSocketCloseStatus.NormalClosure)
                throw new IOException($"the upload was cut off ({socket.CloseStatusDescription ?? socket.CloseStatus?.ToString() ?? "no status"})");

            // On disk before the rename, so a crash right after never shows an empty file under the real name.
            file.Flush(flushToDisk: true);
            var size = file.Length;
            await file.DisposeAsync();
            if (temp is not null) File.Move(temp, path, overwrite: true);
            finished = true;
            await SendOutcomeAsync(socket, new FilesWriteOutcome { Size = size }, ct);
            await CloseAsync(socket, WebSocketCloseStatus.NormalClosure, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or WebSocketException or OperationCanceledException)
        {
            if (socket is { State: WebSocketState.Open or WebSocketState.CloseReceived })
            {
                var error = FilesFeature.ToError(ex) ?? new JsonRpcException(JsonRpcErrorCodes.OperationFailed, ex.Message);
                try
                {
                    await SendOutcomeAsync(socket, new FilesWriteOutcome { Code = error.Code, Message = error.Message }, ct);
                }
                catch (Exception sendFailure) when (sendFailure is WebSocketException or IOException or OperationCanceledException)
                {
                }

                await CloseAsync(socket, WebSocketCloseStatus.InternalServerError, Cap(ex.Message));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await file.DisposeAsync();
            socket?.Dispose();
            if (!finished && temp is not null) TryDelete(temp);
        }
    }

    private static async Task SendOutcomeAsync(WebSocket socket, FilesWriteOutcome outcome, CancellationToken ct) =>
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(outcome, ProtocolJsonContext.Default.FilesWriteOutcome), WebSocketMessageType.Text, true, ct);

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string? reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await socket.CloseAsync(status, reason, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            socket.Abort();
        }
    }

    /// <summary>A close reason must fit in 123 bytes.</summary>
    private static string Cap(string text) => text.Length <= 100 ? text : text[..100];

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
