using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// Downloads and uploads over data streams. The request is answered (or refused) before any byte
/// moves; the bytes then go through one pooled buffer, so a file of any size costs the same memory.
/// </summary>
internal sealed class FilesTransfers(FilesPaths paths, SessionContext session, bool specialModes)
{
    /// <summary>Bytes per binary frame and per file read or write.</summary>
    public const int ChunkBytes = 256 * 1024;

    private const string TempMarker = ".sx-upload-";

    public FilesReadResult StartRead(FilesReadParams p)
    {
        // O_NONBLOCK: a fifo swapped in must not hang the open; it is refused right after.
#pragma warning disable CA2000 // SendAsync disposes it; so does the catch below if it never starts
        var file = OpenRegular(p.Path, FilesNative.ORdOnly | FilesNative.ONonblock | FilesNative.ONoctty, FileAccess.Read, out var at);
#pragma warning restore CA2000
        try
        {
            var size = file.Length;
            if (p.Offset < 0 || p.Offset > size)
                throw FilesPaths.Refused(FilesErrorReasons.BadOffset, $"offset {p.Offset} is outside the file ({size} bytes)");
            file.Position = p.Offset;
            _ = Task.Run(() => SendAsync(file, p.StreamId), CancellationToken.None);
            return new FilesReadResult { Path = at.Full, Size = size };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public FilesWriteAccepted StartWrite(FilesWriteParams p)
    {
        if (p.Offset < 0) throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "offset must not be negative");
        return p.Offset == 0 && p.Truncate ? StartFreshWrite(p) : StartResumedWrite(p);
    }

    /// <summary>
    /// A fresh upload goes to a hidden file beside the target, created with O_EXCL in the open parent
    /// directory and renamed over the name (relative to the same descriptor) only once every byte
    /// arrived: an aborted upload never leaves a half file under the real name, and a link swapped in
    /// at the name is replaced, never written through.
    /// </summary>
    private FilesWriteAccepted StartFreshWrite(FilesWriteParams p)
    {
        var (parent, name, at) = paths.OpenParent(p.Path, "replaced");
        try
        {
            uint mode = 0x1B6; // 0666 less the umask, as a new file anywhere
            if (FilesNative.TryStatAt(parent, name, out var existing, out _))
            {
                DemandRegular(existing, at.Full);
                // Keep the file's mode, but never carry setuid/setgid onto new content unless the owner allows such modes.
                mode = existing.Permissions & (specialModes ? 0xFFFu : 0x1FFu);
            }

            var temp = "." + name + TempMarker + RandomNumberGenerator.GetHexString(8, lowercase: true);
            // The FileStream owns the handle and goes to ReceiveAsync, which disposes it (and the parent).
#pragma warning disable CA2000
            var handle = FilesNative.OpenAt(parent, temp, FilesNative.OWrOnly | FilesNative.OCreat | FilesNative.OExcl | FilesNative.ONofollow, out var errno, mode);
            if (handle.IsInvalid) throw FilesPaths.Failure(errno, at.Full);
            var file = new FileStream(handle, FileAccess.Write, bufferSize: 0);
#pragma warning restore CA2000
            _ = Task.Run(() => ReceiveAsync(file, new Target(parent, temp, name), p.StreamId), CancellationToken.None);
            return new FilesWriteAccepted { Path = at.Full };
        }
        catch
        {
            parent.Dispose();
            throw;
        }
    }

    /// <summary>A chunk of a resumed upload: the file is opened again through the same link-refusing walk, never by path.</summary>
    private FilesWriteAccepted StartResumedWrite(FilesWriteParams p)
    {
        var flags = FilesNative.OWrOnly | FilesNative.ONonblock | FilesNative.ONoctty | (p.Offset == 0 ? FilesNative.OCreat : 0);
#pragma warning disable CA2000 // ReceiveAsync disposes it; so does the catch below if it never starts
        var file = OpenRegular(p.Path, flags, FileAccess.Write, out var at);
#pragma warning restore CA2000
        try
        {
            if (file.Length < p.Offset)
                throw FilesPaths.Refused(FilesErrorReasons.BadOffset, $"{at.Full} has {file.Length} bytes; a resumed upload must start at or before that");
            if (p.Truncate) file.SetLength(p.Offset);
            file.Position = p.Offset;
        }
        catch
        {
            file.Dispose();
            throw;
        }

        _ = Task.Run(() => ReceiveAsync(file, null, p.StreamId), CancellationToken.None);
        return new FilesWriteAccepted { Path = at.Full };
    }

    /// <summary>Opens beneath the root and checks, on the descriptor, that it is a regular file.</summary>
    private FileStream OpenRegular(string path, int flags, FileAccess access, out FilesPaths.Located at)
    {
#pragma warning disable CA2000 // the returned FileStream owns it; the catch below disposes it otherwise
        var handle = paths.Open(path, flags, out at, 0x1B6);
#pragma warning restore CA2000
        try
        {
            if (!FilesNative.TryFstat(handle, out var stat, out var errno)) throw FilesPaths.Failure(errno, at.Full);
            DemandRegular(stat, at.Full);
            return new FileStream(handle, access, bufferSize: 0);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Only regular files move: a fifo or a device would block or never end.</summary>
    private static void DemandRegular(FileStat stat, string path)
    {
        if (stat.IsSymlink) throw FilesPaths.Failure(FilesNative.ELOOP, path);
        if (!stat.IsRegular)
            throw FilesPaths.Refused(FilesErrorReasons.NotAFile, stat.IsDirectory ? $"{path} is a directory" : $"{path} is not a regular file");
    }

    /// <summary>Where a fresh upload lands: its temporary name and final name in one open directory.</summary>
    private sealed record Target(SafeFileHandle Directory, string Temp, string Name);

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
    private async Task ReceiveAsync(FileStream file, Target? target, string streamId)
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
            if (target is not null)
            {
                var errno = FilesNative.RenameAt(target.Directory, target.Temp, target.Directory, target.Name, noReplace: false);
                if (errno != 0) throw new IOException(FilesPaths.Failure(errno, target.Name).Message);
            }

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
            if (target is not null)
            {
                if (!finished) _ = FilesNative.UnlinkAt(target.Directory, target.Temp, isDirectory: false);
                target.Directory.Dispose();
            }
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
}
