using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SentinelX.Node.Forwarding.Copy;

/// <summary>
/// Zero-copy forwarding between two plain TCP sockets with Linux <c>splice</c>: bytes move socket →
/// pipe → socket inside the kernel and never enter the process. Both sockets are put in blocking
/// mode and each direction runs on a dedicated thread doing blocking splices, which is simpler and
/// cheaper than polling; when one side ends, the other side's write half is shut down (so
/// request/response protocols that half-close keep working) and the copy waits for the rest.
/// </summary>
internal static class SpliceCopier
{
    private const int PipeSize = 1024 * 1024;

    /// <summary>Copies both ways until both directions end; counts as bytes are written. Closing either socket ends it.</summary>
    public static Task RunAsync(Socket client, Socket target, Action<long> countIn, Action<long> countOut)
    {
        SpliceNative.SetBlocking(client.Handle);
        SpliceNative.SetBlocking(target.Handle);
        var inbound = Direction(client, target, countIn);
        var outbound = Direction(target, client, countOut);
        return Task.WhenAll(inbound, outbound);
    }

    private static Task Direction(Socket from, Socket to, Action<long> count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                if (Pump(from, to, count)) Shutdown(to, SocketShutdown.Send);
                else
                {
                    // A reset or error on one side ends the whole connection, as a direct one would.
                    Shutdown(from, SocketShutdown.Both);
                    Shutdown(to, SocketShutdown.Both);
                }
            }
            finally
            {
                done.SetResult();
            }
        })
        {
            IsBackground = true,
            Name = "splice",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>True at a clean end of stream, false on an error.</summary>
    private static bool Pump(Socket from, Socket to, Action<long> count)
    {
        if (!SpliceNative.TryCreatePipe(PipeSize, out var pipeRead, out var pipeWrite)) return false;
        try
        {
            int source, sink;
            try
            {
                source = (int)from.Handle;
                sink = (int)to.Handle;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }

            while (true)
            {
                var read = SpliceNative.Splice(source, pipeWrite, PipeSize, SpliceNative.SpliceMove | SpliceNative.SpliceMore);
                if (read == 0) return true;
                if (read < 0)
                {
                    if (Marshal.GetLastPInvokeError() == SpliceNative.EINTR) continue;
                    return false;
                }

                var pending = read;
                while (pending > 0)
                {
                    var written = SpliceNative.Splice(pipeRead, sink, pending, SpliceNative.SpliceMove | SpliceNative.SpliceMore);
                    if (written <= 0)
                    {
                        if (written < 0 && Marshal.GetLastPInvokeError() == SpliceNative.EINTR) continue;
                        return false;
                    }

                    pending -= written;
                    count(written);
                }
            }
        }
        finally
        {
            SpliceNative.Close(pipeRead);
            SpliceNative.Close(pipeWrite);
        }
    }

    private static void Shutdown(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
