using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// The Docker Engine API over its unix socket (podman's compatible socket answers the same calls).
/// Paths are unversioned so the engine speaks its own current API: pinning a version would break
/// on engines that dropped it. Every failure becomes a <see cref="JsonRpcException"/> with a message
/// a user can act on.
/// </summary>
internal sealed class DockerEngine : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http;

    public DockerEngine(string socketPath)
    {
        SocketPath = socketPath;
#pragma warning disable CA2000 // the HttpClient below owns the handler and disposes it with itself
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
#pragma warning restore CA2000
        // The host name is never resolved: every connection goes to the socket above.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://docker/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    public Task<EngineVersion> VersionAsync(CancellationToken ct) => GetAsync("version", DockerEngineJson.Default.EngineVersion, ct);

    public Task<EngineContainer[]> ContainersAsync(CancellationToken ct) =>
        GetAsync("containers/json?all=1", DockerEngineJson.Default.EngineContainerArray, ct);

    public Task<EngineInspect> InspectAsync(string id, CancellationToken ct) =>
        GetAsync($"containers/{id}/json", DockerEngineJson.Default.EngineInspect, ct);

    /// <summary>One sample, without the engine's one-second wait for a second one: the caller keeps the previous sample.</summary>
    public Task<EngineStats> StatsAsync(string id, CancellationToken ct) =>
        GetAsync($"containers/{id}/stats?stream=false&one-shot=true", DockerEngineJson.Default.EngineStats, ct);

    public Task<EngineImage[]> ImagesAsync(CancellationToken ct) => GetAsync("images/json", DockerEngineJson.Default.EngineImageArray, ct);

    /// <summary>POSTs start/stop/restart or DELETEs the container; "already in that state" (304) counts as done.</summary>
    public async Task ActAsync(string id, string action, bool force, CancellationToken ct)
    {
        // Stop and restart wait up to 10 s for the process to exit before the engine kills it.
        using var request = action == DockerNames.Remove
            ? new HttpRequestMessage(HttpMethod.Delete, $"containers/{id}?force={(force ? "true" : "false")}")
            : new HttpRequestMessage(HttpMethod.Post, action == DockerNames.Start ? $"containers/{id}/start" : $"containers/{id}/{action}?t=10");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, TimeSpan.FromSeconds(30), ct);
        if (response.StatusCode != HttpStatusCode.NotModified) await EnsureSuccessAsync(response, id, ct);
    }

    /// <summary>The log response, headers read, body unread; the caller disposes it.</summary>
    public async Task<HttpResponseMessage> LogsAsync(string id, int tail, bool follow, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"containers/{id}/logs?stdout=1&stderr=1&timestamps=0&tail={tail}&follow={(follow ? 1 : 0)}");
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CallTimeout, ct);
        try
        {
            await EnsureSuccessAsync(response, id, ct);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Why the engine cannot be reached, in words: the socket is missing, refuses, or is not ours to open.</summary>
    public string Describe(Exception ex)
    {
        if (!File.Exists(SocketPath)) return $"no Docker socket at {SocketPath}";
        var socket = ex as SocketException ?? ex.InnerException as SocketException ?? ex.InnerException?.InnerException as SocketException;
        return socket?.SocketErrorCode switch
        {
            SocketError.AccessDenied => $"permission denied on {SocketPath} (run sentinelx-node as root or in the docker group)",
            SocketError.ConnectionRefused => $"nothing is listening on {SocketPath} (is the Docker daemon running?)",
            _ => $"cannot reach Docker at {SocketPath}: {ex.Message}",
        };
    }

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, CallTimeout, ct);
        await EnsureSuccessAsync(response, null, ct);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            return await JsonSerializer.DeserializeAsync(body, info, ct)
                ?? throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"Docker answered {path} with null");
        }
        catch (JsonException ex)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"Docker's answer to {path} is not what the Engine API documents", ex.Message);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            return await _http.SendAsync(request, completion, deadline.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, "Docker is not available: " + Describe(ex));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"Docker did not answer within {timeout.TotalSeconds:0} s");
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string? container, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var message = await ReadErrorAsync(response, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new JsonRpcException(JsonRpcErrorCodes.NotFound, container is null ? message : $"no such container: {container}", message);
        throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, message, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            if (JsonSerializer.Deserialize(body, DockerEngineJson.Default.EngineError)?.Message is { Length: > 0 } message) return message;
        }
        catch (JsonException)
        {
        }

        return $"Docker answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }

    public void Dispose() => _http.Dispose();
}

// The Engine API's own shapes, only the fields the Node reads.

internal sealed record EngineError(string? Message);

internal sealed record EngineVersion(string? Version, string? ApiVersion);

internal sealed record EnginePort(int PrivatePort, int? PublicPort, [property: JsonPropertyName("IP")] string? Ip, string? Type);

internal sealed record EngineContainer(string Id, string[]? Names, string? Image, string? State, string? Status, long Created, EnginePort[]? Ports);

internal sealed record EngineInspectState(string? Status, string? StartedAt);

internal sealed record EngineInspectConfig(bool Tty);

internal sealed record EngineInspect(string Id, string? Name, EngineInspectState? State, EngineInspectConfig? Config);

internal sealed record EngineImage(string Id, string[]? RepoTags, long Size, long Created);

internal sealed record EngineCpuUsage([property: JsonPropertyName("total_usage")] ulong TotalUsage);

internal sealed record EngineCpuStats(
    [property: JsonPropertyName("cpu_usage")] EngineCpuUsage? CpuUsage,
    [property: JsonPropertyName("system_cpu_usage")] ulong SystemCpuUsage,
    [property: JsonPropertyName("online_cpus")] int OnlineCpus);

internal sealed record EngineMemoryDetail(
    [property: JsonPropertyName("total_inactive_file")] ulong? TotalInactiveFile,
    [property: JsonPropertyName("inactive_file")] ulong? InactiveFile,
    [property: JsonPropertyName("cache")] ulong? Cache);

internal sealed record EngineMemoryStats(
    [property: JsonPropertyName("usage")] ulong Usage,
    [property: JsonPropertyName("limit")] ulong Limit,
    [property: JsonPropertyName("stats")] EngineMemoryDetail? Stats);

internal sealed record EngineNetwork([property: JsonPropertyName("rx_bytes")] ulong RxBytes, [property: JsonPropertyName("tx_bytes")] ulong TxBytes);

internal sealed record EngineStats(
    [property: JsonPropertyName("cpu_stats")] EngineCpuStats? CpuStats,
    [property: JsonPropertyName("precpu_stats")] EngineCpuStats? PreCpuStats,
    [property: JsonPropertyName("memory_stats")] EngineMemoryStats? MemoryStats,
    [property: JsonPropertyName("networks")] Dictionary<string, EngineNetwork>? Networks);

/// <summary>Source-generated JSON for the Engine API: no reflection, so the trimmed Node stays warning-free.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(EngineError))]
[JsonSerializable(typeof(EngineVersion))]
[JsonSerializable(typeof(EngineContainer[]))]
[JsonSerializable(typeof(EngineInspect))]
[JsonSerializable(typeof(EngineImage[]))]
[JsonSerializable(typeof(EngineStats))]
internal sealed partial class DockerEngineJson : JsonSerializerContext;
