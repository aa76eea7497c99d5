using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// The <c>docker</c> capability: containers with live usage, images, start/stop/restart/remove and
/// logs, all through the Engine API on <see cref="Config.NodeSettings.DockerSocket"/>.
/// </summary>
internal sealed class DockerFeature(string socketPath) : INodeFeature, IDisposable
{
    /// <summary>Stats are fetched this many containers at a time, so a host with hundreds does not open hundreds of sockets.</summary>
    private const int StatsParallelism = 8;

    private readonly DockerEngine _engine = new(socketPath);

    // The previous sample per container: CPU% and network rates are deltas between two polls.
    private readonly ConcurrentDictionary<string, UsageSample> _previous = new(StringComparer.Ordinal);

    public void Register(JsonRpcMethods methods, SessionContext session)
    {
        methods
            .OnRequest(Methods.DockerInfo, ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.DockerInfo, async (_, ct) =>
            {
                session.Demand(Capabilities.Docker);
                return await InfoAsync(ct);
            })
            .OnRequest(Methods.DockerContainers, ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.DockerContainerList, async (_, ct) =>
            {
                session.Demand(Capabilities.Docker);
                return new DockerContainerList { Containers = await ContainersAsync(ct) };
            })
            .OnRequest(Methods.DockerImages, ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.DockerImageList, async (_, ct) =>
            {
                session.Demand(Capabilities.Docker);
                return new DockerImageList { Images = await ImagesAsync(ct) };
            })
            .OnRequest(Methods.DockerAction, ProtocolJsonContext.Default.DockerActionParams, ProtocolJsonContext.Default.DockerActionResult, async (p, ct) =>
            {
                session.Demand(Capabilities.Docker);
                return await ActAsync(p, ct);
            })
            .OnRequest(Methods.DockerLogs, ProtocolJsonContext.Default.DockerLogsParams, ProtocolJsonContext.Default.EmptyParams, async (p, ct) =>
            {
                session.Demand(Capabilities.Docker);
                await StartLogsAsync(p, session, ct);
                return new EmptyParams();
            });
    }

    /// <summary>Never throws for a missing or unreachable engine: the answer says why.</summary>
    public async Task<DockerInfo> InfoAsync(CancellationToken ct)
    {
        try
        {
            var version = await _engine.VersionAsync(ct);
            return new DockerInfo { Available = true, Version = version.Version, ApiVersion = version.ApiVersion, Socket = _engine.SocketPath };
        }
        catch (JsonRpcException ex)
        {
            const string prefix = "Docker is not available: ";
            var reason = ex.Message.StartsWith(prefix, StringComparison.Ordinal) ? ex.Message[prefix.Length..] : ex.Message;
            return new DockerInfo { Available = false, Error = reason, Socket = _engine.SocketPath };
        }
    }

    public async Task<IReadOnlyList<DockerContainer>> ContainersAsync(CancellationToken ct)
    {
        var listed = await _engine.ContainersAsync(ct);
        var result = new DockerContainer[listed.Length];
        using var gate = new SemaphoreSlim(StatsParallelism);
        await Task.WhenAll(listed.Select(async (c, i) =>
        {
            await gate.WaitAsync(ct);
            try
            {
                result[i] = await DescribeAsync(c, ct);
            }
            finally
            {
                gate.Release();
            }
        }));

        foreach (var id in _previous.Keys)
        {
            if (!listed.Any(c => c.Id == id)) _previous.TryRemove(id, out _);
        }

        return result;
    }

    private async Task<DockerContainer> DescribeAsync(EngineContainer c, CancellationToken ct)
    {
        var container = new DockerContainer
        {
            Id = c.Id,
            Name = c.Names is [var first, ..] ? first.TrimStart('/') : c.Id[..Math.Min(12, c.Id.Length)],
            Image = c.Image ?? "",
            State = c.State ?? "unknown",
            Status = c.Status ?? "",
            Created = c.Created,
            Ports = c.Ports is null ? [] : [.. c.Ports
                .Select(p => new DockerPort { PrivatePort = p.PrivatePort, PublicPort = p.PublicPort, Ip = p.Ip, Type = p.Type ?? "tcp" })
                .DistinctBy(p => (p.PrivatePort, p.PublicPort, p.Type))],
        };
        if (container.State != "running") return container;

        try
        {
            var inspect = _engine.InspectAsync(c.Id, ct);
            var stats = _engine.StatsAsync(c.Id, ct);
            await Task.WhenAll(inspect, stats);
            var usage = Usage(c.Id, await stats, Stopwatch.GetTimestamp());
            return container with
            {
                StartedAt = ParseTime((await inspect).State?.StartedAt),
                CpuPercent = usage.CpuPercent,
                MemBytes = usage.MemBytes,
                MemLimit = usage.MemLimit,
                NetRx = usage.NetRx,
                NetTx = usage.NetTx,
            };
        }
        catch (JsonRpcException)
        {
            // It stopped between the list and the stats call; the list entry is still right.
            return container;
        }
    }

    /// <summary>Turns one stats sample into rates, using the engine's own previous CPU reading when it sends one, else ours.</summary>
    internal Usage Usage(string id, EngineStats stats, long timestamp)
    {
        var cpu = stats.CpuStats;
        ulong rx = 0, tx = 0;
        if (stats.Networks is { } networks)
        {
            foreach (var n in networks.Values)
            {
                rx += n.RxBytes;
                tx += n.TxBytes;
            }
        }

        var now = new UsageSample(cpu?.CpuUsage?.TotalUsage ?? 0, cpu?.SystemCpuUsage ?? 0, rx, tx, timestamp);
        _previous.TryGetValue(id, out var before);
        _previous[id] = now;

        double? cpuPercent = null;
        var pre = stats.PreCpuStats;
        if (cpu is { SystemCpuUsage: > 0 } && pre is { SystemCpuUsage: > 0 } && cpu.SystemCpuUsage > pre.SystemCpuUsage)
            cpuPercent = CpuPercent(now.Cpu, pre.CpuUsage?.TotalUsage ?? 0, now.System, pre.SystemCpuUsage, cpu.OnlineCpus);
        else if (before is not null && now.System > before.System)
            cpuPercent = CpuPercent(now.Cpu, before.Cpu, now.System, before.System, cpu?.OnlineCpus ?? 1);

        double? netRx = null, netTx = null;
        if (before is not null && stats.Networks is not null)
        {
            var seconds = Stopwatch.GetElapsedTime(before.At, timestamp).TotalSeconds;
            if (seconds > 0 && rx >= before.Rx && tx >= before.Tx)
            {
                netRx = (rx - before.Rx) / seconds;
                netTx = (tx - before.Tx) / seconds;
            }
        }

        long? mem = null, limit = null;
        if (stats.MemoryStats is { Usage: > 0 } memory)
        {
            // As `docker stats` shows it: page cache the kernel can drop is not the container's memory.
            var cache = memory.Stats?.TotalInactiveFile ?? memory.Stats?.InactiveFile ?? memory.Stats?.Cache ?? 0;
            mem = (long)(memory.Usage > cache ? memory.Usage - cache : memory.Usage);
            limit = memory.Limit is > 0 and < long.MaxValue ? (long)memory.Limit : null;
        }

        return new Usage(cpuPercent, mem, limit, netRx, netTx);
    }

    internal static double CpuPercent(ulong cpu, ulong cpuBefore, ulong system, ulong systemBefore, int onlineCpus)
    {
        if (cpu < cpuBefore || system <= systemBefore) return 0;
        var percent = (double)(cpu - cpuBefore) / (system - systemBefore) * Math.Max(1, onlineCpus) * 100;
        return Math.Round(percent, 2);
    }

    /// <summary>Docker writes nanoseconds ("2026-12-01T01:37:00.123456789Z"), one digit more than .NET parses; "0001-01-01…" means never.</summary>
    internal static long? ParseTime(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            if (end - dot - 1 > 7) text = text[..(dot + 8)] + text[end..];
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) || time.Year < 1971) return null;
        return time.ToUnixTimeMilliseconds();
    }

    public async Task<IReadOnlyList<DockerImage>> ImagesAsync(CancellationToken ct)
    {
        var images = await _engine.ImagesAsync(ct);
        return [.. images
            .Select(i => new DockerImage
            {
                Id = i.Id,
                Tags = i.RepoTags is null ? [] : [.. i.RepoTags.Where(t => t != "<none>:<none>")],
                Size = i.Size,
                Created = i.Created,
            })
            .OrderByDescending(i => i.Created)];
    }

    public async Task<DockerActionResult> ActAsync(DockerActionParams p, CancellationToken ct)
    {
        if (!DockerNames.IsValidContainer(p.Id))
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"\"{p.Id}\" is not a container id or name");
        if (!DockerNames.IsAction(p.Action))
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"unknown action \"{p.Action}\" (known: {string.Join(", ", DockerNames.Actions)})");

        var before = await _engine.InspectAsync(p.Id, ct);
        var name = before.Name?.TrimStart('/') ?? p.Id;
        await _engine.ActAsync(before.Id, p.Action, p.Force, ct);
        Log.Info($"docker: {p.Action} {name}");
        if (p.Action == DockerNames.Remove)
        {
            _previous.TryRemove(before.Id, out _);
            return new DockerActionResult { Name = name, State = "removed" };
        }

        var after = await _engine.InspectAsync(before.Id, ct);
        return new DockerActionResult { Name = name, State = after.State?.Status ?? "unknown" };
    }

    private async Task StartLogsAsync(DockerLogsParams p, SessionContext session, CancellationToken ct)
    {
        if (!DockerNames.IsValidContainer(p.Id))
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"\"{p.Id}\" is not a container id or name");
        if (p.Tail is < 0 or > DockerNames.MaxTail)
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"tail must be within 0 to {DockerNames.MaxTail} lines");
        if (string.IsNullOrEmpty(p.StreamId))
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "streamId is required");

        var inspect = await _engine.InspectAsync(p.Id, ct);
        // The log outlives this request: it runs until the engine ends it, the Core closes the stream or the session ends.
        var response = await _engine.LogsAsync(inspect.Id, p.Tail, p.Follow, session.Closed);
        WebSocket socket;
        try
        {
            socket = await session.Streams.DialAsync(p.StreamId, ct);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException)
        {
            response.Dispose();
            throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, "could not open the data stream: " + ex.Message);
        }

        _ = PumpLogsAsync(response, socket, inspect.Config?.Tty ?? false, session.Closed);
    }

    private static async Task PumpLogsAsync(HttpResponseMessage response, WebSocket socket, bool tty, CancellationToken closed)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(closed);
        var watch = WatchForCloseAsync(socket, stop);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
            Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send = (bytes, ct) => socket.SendAsync(bytes, WebSocketMessageType.Binary, true, ct);
            if (tty) await DockerLogFrames.CopyRawAsync(body, send, stop.Token);
            else await DockerLogFrames.CopyAsync(body, send, stop.Token);
            if (socket.State == WebSocketState.Open)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "end of log", CancellationToken.None);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or HttpRequestException)
        {
            // The Core closed the stream (a follow ends that way) or the connection went away.
        }
        catch (InvalidDataException ex)
        {
            Log.Warn("docker: log stream ended early", ex);
            if (socket.State == WebSocketState.Open)
                await socket.CloseOutputAsync(WebSocketCloseStatus.InvalidPayloadData, "bad log framing", CancellationToken.None);
        }
        finally
        {
            await stop.CancelAsync();
            await watch;
            socket.Dispose();
            response.Dispose();
        }
    }

    /// <summary>The Core sends nothing on a log stream; anything it sends, above all its close, ends the log.</summary>
    private static async Task WatchForCloseAsync(WebSocket socket, CancellationTokenSource stop)
    {
        var buffer = new byte[64];
        try
        {
            await socket.ReceiveAsync(buffer.AsMemory(), stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
        }

        await stop.CancelAsync();
    }

    public void Dispose() => _engine.Dispose();
}

/// <summary>One container's usage derived from a stats sample; null where there is no previous sample yet.</summary>
internal sealed record Usage(double? CpuPercent, long? MemBytes, long? MemLimit, double? NetRx, double? NetTx);

internal sealed record UsageSample(ulong Cpu, ulong System, ulong Rx, ulong Tx, long At);
