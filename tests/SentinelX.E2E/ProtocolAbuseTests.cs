using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// A hostile or broken Node talks to the real Core over a raw WebSocket: every bad message gets a
/// JSON-RPC error, the connection and the Core survive, and only valid samples are stored.
/// </summary>
public sealed class ProtocolAbuseTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private string _nodeId = "";
    private string _secret = "";

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        using var response = await EnrollAsync(await _core.EnrollmentKeyAsync(), new { machineId = "abuse-" + Guid.NewGuid().ToString("N"), hostname = "abuser", protocolVersion = 1, agentVersion = "test" });
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var enrolled = (await response.Content.ReadFromJsonAsync<EnrollResponse>())!;
        (_nodeId, _secret) = (enrolled.NodeId, enrolled.Secret);
    }

    public Task DisposeAsync() => _core.DisposeAsync().AsTask();

    [Fact]
    public async Task Every_bad_message_gets_a_json_rpc_error_and_valid_samples_still_land()
    {
        using var ws = await ConnectAsync();

        (await ExchangeAsync(ws, "this is not json")).Code.Should().Be(JsonRpcErrorCodes.ParseError);
        (await ExchangeAsync(ws, new string('x', ProtocolInfo.MaxMessageBytes + 512 * 1024))).Code.Should().Be(JsonRpcErrorCodes.MessageTooLarge);
        (await ExchangeAsync(ws, "[1,2,3]")).Code.Should().Be(JsonRpcErrorCodes.InvalidRequest);
        (await ExchangeAsync(ws, """{"jsonrpc":"2.0","id":7,"method":"no.such.method","params":{}}""")).Should().Be((JsonRpcErrorCodes.MethodNotFound, (long?)7));
        (await ExchangeAsync(ws, Samples(1, "1.0"))).Code.Should().Be(JsonRpcErrorCodes.NotAllowed, "samples before hello");
        (await ExchangeAsync(ws, """{"jsonrpc":"2.0","id":8,"method":"node.hello","params":{"protocolVersion":"one"}}""")).Should().Be((JsonRpcErrorCodes.InvalidParams, (long?)8));
        (await ExchangeAsync(ws, """{"jsonrpc":"2.0","id":9,"method":"node.hello","params":{"protocolVersion":99,"agentVersion":"x","sampleIntervalMs":1000,"system":{"hostname":"h","os":"o","kernel":"k","arch":"amd64"}}}"""))
            .Should().Be((JsonRpcErrorCodes.UnsupportedVersion, (long?)9));

        var hello = await SendAndReceiveAsync(ws, """{"jsonrpc":"2.0","id":10,"method":"node.hello","params":{"protocolVersion":1,"agentVersion":"x","sampleIntervalMs":1000,"system":{"hostname":"h","os":"o","kernel":"k","arch":"amd64"}}}""");
        hello.GetProperty("result").GetProperty("nodeId").GetString().Should().Be(_nodeId);

        (await ExchangeAsync(ws, Samples(1, "\"lots\""))).Code.Should().Be(JsonRpcErrorCodes.InvalidParams, "a string where a number belongs");
        (await ExchangeAsync(ws, Samples(1, "-5"))).Code.Should().Be(JsonRpcErrorCodes.InvalidParams, "negative cpu");
        (await ExchangeAsync(ws, Samples(1, "NaN"))).Code.Should().Be(JsonRpcErrorCodes.ParseError, "NaN is not JSON");

        var ack = await SendAndReceiveAsync(ws, Samples(1, "12.5"));
        ack.GetProperty("method").GetString().Should().Be(Methods.SamplesAck);
        ack.GetProperty("params").GetProperty("seq").GetInt64().Should().Be(1);

        ws.State.Should().Be(WebSocketState.Open, "bad messages never cost the connection");
        using var db = _core.OpenDatabase();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT count(*), max(cpu_percent) FROM samples";
        using var reader = command.ExecuteReader();
        reader.Read();
        reader.GetInt64(0).Should().Be(1);
        reader.GetDouble(1).Should().Be(12.5);
        (await _core.Http.GetAsync("/api/v1/health")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_node_flooding_hello_gets_one_answered_and_the_rest_refused_without_work()
    {
        using var ws = await ConnectAsync();
        const int Flood = 200;
        const string Hello = """{"jsonrpc":"2.0","id":ID,"method":"node.hello","params":{"protocolVersion":1,"agentVersion":"x","sampleIntervalMs":1000,"system":{"hostname":"h","os":"o","kernel":"k","arch":"amd64"}}}""";
        for (var i = 0; i < Flood; i++)
            await ws.SendAsync(Encoding.UTF8.GetBytes(Hello.Replace("ID", (100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)), WebSocketMessageType.Text, true, CancellationToken.None);

        var answered = 0;
        var refused = 0;
        for (var i = 0; i < Flood; i++)
        {
            var reply = await ReceiveAsync(ws);
            if (reply.TryGetProperty("result", out _)) answered++;
            else if (reply.GetProperty("error").GetProperty("code").GetInt32() == JsonRpcErrorCodes.TooManyRequests) refused++;
        }

        // Each answered hello is one database write; the rest cost nothing but an error answer.
        answered.Should().Be(1);
        refused.Should().Be(Flood - 1);
        var heartbeat = await SendAndReceiveAsync(ws, """{"jsonrpc":"2.0","id":1,"method":"node.heartbeat","params":{"time":1}}""");
        heartbeat.TryGetProperty("result", out _).Should().BeTrue("the Core still answers this Node: " + heartbeat);
        (await _core.Http.GetAsync("/api/v1/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        _core.Output.Split('\n').Count(l => l.Contains("too many requests", StringComparison.OrdinalIgnoreCase) || l.Contains("at most once every", StringComparison.Ordinal))
            .Should().BeLessThanOrEqualTo(1, "error answers are logged at most once a minute per session");
    }

    [Fact]
    public async Task A_wrong_secret_or_protocol_is_refused_before_the_upgrade()
    {
        var wrongSecret = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(secret: "sxn_wrong"));
        var wrongProtocol = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(protocol: "99"));

        wrongSecret.Message.Should().Contain("401");
        wrongProtocol.Message.Should().Contain("400");
    }

    [Fact]
    public async Task Enrollment_errors_are_problem_details()
    {
        using var wrongKey = await EnrollAsync("sxk_nope", new { machineId = "m", hostname = "h", protocolVersion = 1, agentVersion = "t" });
        using var badBody = await EnrollAsync(await _core.EnrollmentKeyAsync(), new { machineId = "", hostname = "h", protocolVersion = 1, agentVersion = "t" });
        using var oldProtocol = await EnrollAsync(await _core.EnrollmentKeyAsync(), new { machineId = "m2", hostname = "h", protocolVersion = 0, agentVersion = "t" });

        wrongKey.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        wrongKey.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await wrongKey.Content.ReadAsStringAsync()).Should().Contain("enrollment key");
        badBody.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badBody.Content.ReadAsStringAsync()).Should().Contain("machineId");
        oldProtocol.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await oldProtocol.Content.ReadAsStringAsync()).Should().Contain("protocol version 0");
    }

    private static string Samples(long seq, string cpu) =>
        $$$"""{"jsonrpc":"2.0","method":"metrics.samples","params":{"samples":[{"seq":{{{seq}}},"timestamp":"{{{DateTimeOffset.UtcNow:O}}}","cpuPercent":{{{cpu}}},"memTotalBytes":1000,"memUsedBytes":10}]}}""";

    private Task<HttpResponseMessage> EnrollAsync(string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ProtocolInfo.EnrollPath) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new("Bearer", key);
        return _core.Http.SendAsync(request);
    }

    private async Task<ClientWebSocket> ConnectAsync(string? secret = null, string protocol = "1")
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader(ProtocolInfo.NodeIdHeader, _nodeId);
        ws.Options.SetRequestHeader("Authorization", "Bearer " + (secret ?? _secret));
        ws.Options.SetRequestHeader(ProtocolInfo.ProtocolHeader, protocol);
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_core.Port}{ProtocolInfo.WebSocketPath}"), CancellationToken.None);
        return ws;
    }

    private static async Task<(int Code, long? Id)> ExchangeAsync(ClientWebSocket ws, string message)
    {
        var reply = await SendAndReceiveAsync(ws, message);
        reply.TryGetProperty("error", out var error).Should().BeTrue($"expected an error for {message[..Math.Min(80, message.Length)]}, got {reply}");
        var id = reply.GetProperty("id");
        return (error.GetProperty("code").GetInt32(), id.ValueKind == JsonValueKind.Number ? id.GetInt64() : null);
    }

    private static async Task<JsonElement> SendAndReceiveAsync(ClientWebSocket ws, string message)
    {
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await ws.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, cts.Token);
        return await ReceiveAsync(ws);
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket ws)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        using var received = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await ws.ReceiveAsync(buffer, cts.Token);
            received.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(received.ToArray()).RootElement.Clone();
    }
}
