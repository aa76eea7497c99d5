using System.Buffers;
using System.Buffers.Binary;

namespace SentinelX.Node.Remote;

/// <summary>
/// The Engine API multiplexes stdout and stderr of a container without a TTY into frames: an
/// 8-byte header (stream type, three zero bytes, big-endian payload length) then the payload
/// (https://docs.docker.com/engine/api/v1.41/#operation/ContainerAttach). The log view wants the
/// text only, so the frames are unwrapped; a container with a TTY sends raw bytes.
/// </summary>
internal static class DockerLogFrames
{
    private const int ChunkSize = 16 * 1024;

    /// <summary>Sends every frame's payload, in order; ends cleanly at a frame boundary, throws <see cref="InvalidDataException"/> mid-frame.</summary>
    public static async Task CopyAsync(Stream source, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send, CancellationToken ct)
    {
        var header = new byte[8];
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            while (true)
            {
                var got = await source.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct);
                if (got == 0) return;
                if (got < header.Length) throw new InvalidDataException("log stream ended inside a frame header");
                if (header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0)
                    throw new InvalidDataException($"not a log frame header (stream type {header[0]})");

                var remaining = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                while (remaining > 0)
                {
                    var want = (int)Math.Min(remaining, (uint)buffer.Length);
                    var read = await source.ReadAsync(buffer.AsMemory(0, want), ct);
                    if (read == 0) throw new InvalidDataException("log stream ended inside a frame");
                    await send(buffer.AsMemory(0, read), ct);
                    remaining -= (uint)read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A TTY container's log: the bytes as they come.</summary>
    public static async Task CopyRawAsync(Stream source, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, ChunkSize), ct)) > 0)
                await send(buffer.AsMemory(0, read), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
