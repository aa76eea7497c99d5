using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace SentinelX.E2E.Infrastructure;

/// <summary>A TCP target that reads everything a connection sends and answers with its SHA-256 (hex).</summary>
internal sealed class HashSink : IAsyncDisposable
{
    public sealed record Transfer(string Hash, string? Echoed);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    private HashSink()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Connections => Volatile.Read(ref _connections);

    public static HashSink Start() => new();

    /// <summary>Sends <paramref name="bytes"/> random bytes to <paramref name="port"/>, half-closes and reads the answer.</summary>
    public static async Task<Transfer> SendAsync(int port, int bytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        for (var left = bytes; left > 0;)
        {
            var n = Math.Min(left, buffer.Length);
            RandomNumberGenerator.Fill(buffer.AsSpan(0, n));
            sha.AppendData(buffer, 0, n);
            await stream.WriteAsync(buffer.AsMemory(0, n));
            left -= n;
        }

        client.Client.Shutdown(SocketShutdown.Send);
        using var reader = new StreamReader(stream);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var echoed = await reader.ReadToEndAsync(wait.Token);
        return new Transfer(Convert.ToHexStringLower(sha.GetHashAndReset()), echoed.Length == 0 ? null : echoed);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var buffer = new byte[256 * 1024];
                    int n;
                    var total = 0L;
                    while ((n = await stream.ReadAsync(buffer)) > 0)
                    {
                        sha.AppendData(buffer, 0, n);
                        total += n;
                    }

                    // A connection with no bytes at all (a health check) is not a transfer.
                    if (total == 0) return;
                    Interlocked.Increment(ref _connections);
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha.GetHashAndReset())));
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _stop.Dispose();
    }
}

/// <summary>An <c>iperf3 -s</c> on a free loopback port.</summary>
internal sealed class IperfServer : IDisposable
{
    private readonly Process _process;

    private IperfServer(int port, Process process)
    {
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public static IperfServer Start()
    {
        var port = FreePorts.Tcp();
        var process = Process.Start(new ProcessStartInfo("iperf3", ["-s", "-B", "127.0.0.1", "-p", port.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        return new IperfServer(port, process);
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}

/// <summary>Runs <c>iperf3 -c</c> against a port and reads the received rate from its JSON.</summary>
internal static class Iperf
{
    public sealed record Result(double BitsPerSecond, long Bytes);

    /// <summary>One test of <paramref name="seconds"/>; retried while the server is still busy with a previous one.</summary>
    public static async Task<Result> RunAsync(int port, int seconds, int parallel = 1, string host = "127.0.0.1")
    {
        for (var attempt = 1; ; attempt++)
        {
            var info = new ProcessStartInfo("iperf3", ["-c", host, "-p", port.ToString(), "-t", seconds.ToString(), "-P", parallel.ToString(), "-J"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var json = await stdout;
            if (JsonDocument.Parse(json).RootElement.GetProperty("end").TryGetProperty("sum_received", out var received))
                return new Result(received.GetProperty("bits_per_second").GetDouble(), (long)received.GetProperty("bytes").GetDouble());
            if (attempt == 5) throw new InvalidOperationException($"iperf3 failed ({process.ExitCode}): {json}{await stderr}");
            await Task.Delay(1000);
        }
    }
}
