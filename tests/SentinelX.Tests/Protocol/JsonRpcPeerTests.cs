using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Protocol;

/// <summary>The shared JSON-RPC peer over a real loopback WebSocket pair.</summary>
public sealed class JsonRpcPeerTests : IAsyncLifetime
{
    private WebSocket _serverSocket = null!;
    private WebSocket _clientSocket = null!;

    public async Task InitializeAsync()
    {
        (_serverSocket, _clientSocket) = await LoopbackWebSockets.CreatePairAsync();
    }

    public Task DisposeAsync()
    {
        _serverSocket.Dispose();
        _clientSocket.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Requests_travel_both_ways()
    {
        await using var core = new JsonRpcPeer(_serverSocket, new JsonRpcMethods().OnRequest(Methods.Heartbeat, ProtocolJsonContext.Default.HeartbeatParams,
            ProtocolJsonContext.Default.HeartbeatResult, (p, _) => ValueTask.FromResult(new HeartbeatResult { Time = p.Time + 1 })));
        await using var node = new JsonRpcPeer(_clientSocket, new JsonRpcMethods().OnRequest(Methods.GetSystemInfo, ProtocolJsonContext.Default.EmptyParams,
            ProtocolJsonContext.Default.SystemInfo, (_, _) => ValueTask.FromResult(new SystemInfo { Hostname = "h1", Os = "os", Kernel = "k", Arch = "amd64" })));
        _ = core.RunAsync(CancellationToken.None);
        _ = node.RunAsync(CancellationToken.None);

        var beat = await node.RequestAsync(Methods.Heartbeat, new HeartbeatParams { Time = 41 }, ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult);
        var info = await core.RequestAsync(Methods.GetSystemInfo, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.SystemInfo);

        beat.Time.Should().Be(42);
        info.Hostname.Should().Be("h1");
    }

    [Fact]
    public async Task A_request_without_an_answer_times_out_after_10_seconds_by_default()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var silent = new JsonRpcPeer(_serverSocket, new JsonRpcMethods().OnRequest(Methods.GetSystemInfo, ProtocolJsonContext.Default.EmptyParams,
            ProtocolJsonContext.Default.SystemInfo, async (_, ct) =>
            {
                asked.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                throw new InvalidOperationException("unreachable");
            }));
        var time = new FakeTimeProvider();
        await using var asker = new JsonRpcPeer(_clientSocket, new JsonRpcMethods()) { Time = time };
        _ = silent.RunAsync(CancellationToken.None);
        _ = asker.RunAsync(CancellationToken.None);

        var request = asker.RequestAsync(Methods.GetSystemInfo, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.SystemInfo);
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the request is on the wire, so its deadline is set
        time.Advance(TimeSpan.FromSeconds(9.9));
        await Task.Delay(50);
        request.IsCompleted.Should().BeFalse("the default timeout is 10 s");
        time.Advance(TimeSpan.FromSeconds(0.1));

        var failure = (await FluentActions.Awaiting(() => request).Should().ThrowAsync<JsonRpcException>()).Which;
        failure.Code.Should().Be(JsonRpcErrorCodes.Timeout);
        failure.Message.Should().Be($"{Methods.GetSystemInfo} timed out after 10 s");
    }

    [Fact]
    public async Task Requests_beyond_the_concurrency_cap_are_refused_without_running_and_the_peer_stays_responsive()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var methods = new JsonRpcMethods()
            .OnRequest(Methods.Heartbeat, ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult, async (p, _) =>
            {
                Interlocked.Increment(ref started);
                await release.Task;
                return new HeartbeatResult { Time = p.Time };
            });
        await using var answerer = new JsonRpcPeer(_serverSocket, methods) { MaxConcurrentRequests = 4 };
        _ = answerer.RunAsync(CancellationToken.None);
        await using var asker = new JsonRpcPeer(_clientSocket, new JsonRpcMethods());
        _ = asker.RunAsync(CancellationToken.None);

        var calls = Enumerable.Range(0, 50).Select(i => asker.RequestAsync(Methods.Heartbeat, new HeartbeatParams { Time = i },
            ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult)).ToList();
        // The refusals arrive while the first four are still held.
        var refusals = calls.Skip(4).Select(async c => (await Assert.ThrowsAsync<JsonRpcException>(() => c)).Code).ToList();
        (await Task.WhenAll(refusals)).Should().AllBeEquivalentTo(JsonRpcErrorCodes.TooManyRequests);
        Volatile.Read(ref started).Should().Be(4, "refused requests do no work");

        release.SetResult();
        (await Task.WhenAll(calls.Take(4))).Select(r => r.Time).Should().Equal(0, 1, 2, 3);
        // Slots are given back: the next request runs.
        (await asker.RequestAsync(Methods.Heartbeat, new HeartbeatParams { Time = 99 }, ProtocolJsonContext.Default.HeartbeatParams,
            ProtocolJsonContext.Default.HeartbeatResult)).Time.Should().Be(99);
    }

    [Fact]
    public async Task Handler_failures_become_errors_without_internals()
    {
        var methods = new JsonRpcMethods()
            .OnRequest(Methods.Heartbeat, ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult,
                (_, _) => throw new InvalidOperationException("secret internal detail"))
            .OnRequest(Methods.Hello, ProtocolJsonContext.Default.HelloParams, ProtocolJsonContext.Default.HelloResult,
                (_, _) => throw new JsonRpcException(JsonRpcErrorCodes.UnsupportedVersion, "too new"));
        await using var answerer = new JsonRpcPeer(_serverSocket, methods);
        _ = answerer.RunAsync(CancellationToken.None);
        await using var asker = new JsonRpcPeer(_clientSocket, new JsonRpcMethods());
        _ = asker.RunAsync(CancellationToken.None);

        var crash = await Assert.ThrowsAsync<JsonRpcException>(() => asker.RequestAsync(Methods.Heartbeat, new HeartbeatParams { Time = 1 },
            ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult));
        var refused = await Assert.ThrowsAsync<JsonRpcException>(() => asker.RequestAsync(Methods.Hello, new HelloParams
        {
            ProtocolVersion = 9, AgentVersion = "x", SampleIntervalMs = 1000, System = new SystemInfo { Hostname = "h", Os = "o", Kernel = "k", Arch = "a" },
        }, ProtocolJsonContext.Default.HelloParams, ProtocolJsonContext.Default.HelloResult));

        crash.Code.Should().Be(JsonRpcErrorCodes.InternalError);
        crash.Message.Should().NotContain("secret internal detail");
        refused.Code.Should().Be(JsonRpcErrorCodes.UnsupportedVersion);
        refused.Message.Should().Be("too new");
    }

    [Fact]
    public async Task Oversized_and_malformed_messages_are_answered_and_the_connection_survives()
    {
        var received = new List<long>();
        await using var receiver = new JsonRpcPeer(_serverSocket, new JsonRpcMethods().OnNotification(Methods.SamplesAck, ProtocolJsonContext.Default.SampleAck,
            (ack, _) =>
            {
                lock (received) received.Add(ack.Seq);
                return ValueTask.CompletedTask;
            }));
        _ = receiver.RunAsync(CancellationToken.None);

        await SendRawAsync(new string(' ', ProtocolInfo.MaxMessageBytes) + "{}");
        var tooLarge = await ReceiveRawAsync();
        await SendRawAsync("{\"jsonrpc\":\"2.0\",\"method\":\"metrics.ack\",\"params\":{\"seq\":\"x\"}}");
        var badParams = await ReceiveRawAsync();
        for (var i = 1; i <= 50; i++) await SendRawAsync($"{{\"jsonrpc\":\"2.0\",\"method\":\"metrics.ack\",\"params\":{{\"seq\":{i}}}}}");
        await Task.Delay(300);

        tooLarge.GetProperty("error").GetProperty("code").GetInt32().Should().Be(JsonRpcErrorCodes.MessageTooLarge);
        badParams.GetProperty("error").GetProperty("code").GetInt32().Should().Be(JsonRpcErrorCodes.InvalidParams);
        lock (received) received.Should().Equal(Enumerable.Range(1, 50).Select(i => (long)i), "notifications are handled in order");
    }

    [Fact]
    public async Task Pending_requests_fail_when_the_connection_drops()
    {
        await using var asker = new JsonRpcPeer(_clientSocket, new JsonRpcMethods());
        var run = asker.RunAsync(CancellationToken.None);
        var pending = asker.RequestAsync(Methods.GetSystemInfo, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.SystemInfo);

        _serverSocket.Abort();
        _serverSocket.Dispose();

        await FluentActions.Awaiting(() => pending).Should().ThrowAsync<IOException>();
        await run;
        asker.Closed.IsCancellationRequested.Should().BeTrue();
    }

    private Task SendRawAsync(string text) =>
        _clientSocket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private async Task<JsonElement> ReceiveRawAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await _clientSocket.ReceiveAsync(buffer, cts.Token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
    }
}
