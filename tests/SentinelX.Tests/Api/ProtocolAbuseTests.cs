using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using SentinelX.Shared.Protocol;
using Xunit;

using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Api;

/// <summary>
/// A hostile or broken Node talks to the Core over a raw WebSocket: every bad message gets a
/// JSON-RPC error, the connection and the Core survive, and only valid samples are stored.
/// </summary>
[Trait("Tier", "Api")]
[Collection(CoreInProcess.Name)]
public sealed class ProtocolAbuseTests(CoreApp core) : IClassFixture<CoreApp>
{
    [Fact]
    public async Task Every_bad_message_gets_a_json_rpc_error_and_valid_samples_still_land()
    {
        var node = await core.EnrollAsync("abuser");
        using var ws = await ConnectAsync(node);

        (await ExchangeAsync(ws, "this is not json")).Code.Should().Be(JsonRpcErrorCodes.ParseError);
        (await ExchangeAsync(ws, new string('x', ProtocolInfo.MaxMessageBytes + 512 * 1024))).Code.Should().Be(JsonRpcErrorCodes.MessageTooLarge);
        (await ExchangeAsync(ws, "[1,2,3]")).Code.Should().Be(JsonRpcErrorCodes.InvalidRequest);
        (await ExchangeAsync(ws, """{"jsonrpc":"2.0","id":7,"method":"no.such.method","params":{}}""")).Should().Be((JsonRpcErrorCodes.MethodNotFound, (long?)7));
        (await ExchangeAsync(ws, Samples(1, "1.0"))).Code.Should().Be(JsonRpcErrorCodes.NotAllowed, "samples before hello");
        (await ExchangeAsync(ws, """{"jsonrpc":"2.0","id":8,"method":"node.hello","params":{"protocolVersion":"one"}}""")).Should().Be((JsonRpcErrorCodes.InvalidParams, (long?)8));
        (await ExchangeAsync(ws, """{"jsonrpc":"2.0","id":9,"method":"node.hello","params":{"protocolVersion":99,"agentVersion":"x","sampleIntervalMs":1000,"system":{"hostname":"h","os":"o","kernel":"k","arch":"amd64"}}}"""))
            .Should().Be((JsonRpcErrorCodes.UnsupportedVersion, (long?)9));

        var hello = await SendAndReceiveAsync(ws, """{"jsonrpc":"2.0","id":10,"method":"node.hello","params":{"protocolVersion":1,"agentVersion":"x","sampleIntervalMs":1000,"system":{"hostname":"h","os":"o","kernel":"k","arch":"amd64"}}}""");
        hello.GetProperty("result").GetProperty("nodeId").GetString().Should().Be(node.NodeId);

        (await ExchangeAsync(ws, Samples(1, "\"lots\""))).Code.Should().Be(JsonRpcErrorCodes.InvalidParams, "a string where a number belongs");
        (await ExchangeAsync(ws, Samples(1, "-5"))).Code.Should().Be(JsonRpcErrorCodes.InvalidParams, "negative cpu");
        (await ExchangeAsync(ws, Samples(1, "NaN"))).Code.Should().Be(JsonRpcErrorCodes.ParseError, "NaN is not JSON");
        (await ExchangeAsync(ws, Samples(1, "1e400"))).Code.Should().BeOneOf([JsonRpcErrorCodes.InvalidParams, JsonRpcErrorCodes.ParseError], "a number past double's range");

        var ack = await SendAndReceiveAsync(ws, Samples(1, "12.5"));
        ack.GetProperty("method").GetString().Should().Be(Methods.SamplesAck);
        ack.GetProperty("params").GetProperty("seq").GetInt64().Should().Be(1);

        ws.State.Should().Be(WebSocketState.Open, "bad messages never cost the connection");
        using var db = core.OpenDatabase();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT count(*), max(cpu_percent) FROM samples WHERE node_id = $node";
        command.Parameters.AddWithValue("$node", node.NodeId);
        using var reader = command.ExecuteReader();
        reader.Read();
        reader.GetInt64(0).Should().Be(1);
        reader.GetDouble(1).Should().Be(12.5);
        (await core.Http.GetAsync("/api/v1/health")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_node_flooding_hello_gets_one_answered_and_the_rest_refused_without_work()
    {
        using var ws = await ConnectAsync(await core.EnrollAsync("flooder"));
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
        (await core.Http.GetAsync("/api/v1/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        core.Output.Split('\n').Count(l => l.Contains("too many requests", StringComparison.OrdinalIgnoreCase) || l.Contains("at most once every", StringComparison.Ordinal))
            .Should().BeLessThanOrEqualTo(1, "error answers are logged at most once a minute per session");
    }

    [Theory]
    [InlineData("sxn_wrong", "1", "401")]
    [InlineData("", "1", "401")]
    [InlineData(null, "99", "400")]
    [InlineData(null, "0", "400")]
    [InlineData(null, "one", "400")]
    public async Task A_wrong_secret_or_protocol_is_refused_before_the_upgrade(string? secret, string protocol, string status)
    {
        var node = await core.EnrollAsync("refused");

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(node, secret ?? node.Secret, protocol));

        refused.Message.Should().Contain(status);
    }

    [Fact]
    public async Task Another_nodes_id_with_this_nodes_secret_is_refused()
    {
        var mine = await core.EnrollAsync("mine");
        var theirs = await core.EnrollAsync("theirs");

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(theirs with { Secret = mine.Secret }));

        refused.Message.Should().Contain("401");
    }

    [Fact]
    public async Task Enrollment_errors_are_problem_details()
    {
        using var wrongKey = await core.EnrollAsync("sxk_nope", new { machineId = "m", hostname = "h", protocolVersion = 1, agentVersion = "t" });
        using var badBody = await core.EnrollAsync(core.EnrollmentKey, new { machineId = "", hostname = "h", protocolVersion = 1, agentVersion = "t" });
        using var oldProtocol = await core.EnrollAsync(core.EnrollmentKey, new { machineId = "m2", hostname = "h", protocolVersion = 0, agentVersion = "t" });

        wrongKey.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        wrongKey.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await wrongKey.Content.ReadAsStringAsync()).Should().Contain("enrollment key");
        badBody.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badBody.Content.ReadAsStringAsync()).Should().Contain("machineId");
        oldProtocol.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await oldProtocol.Content.ReadAsStringAsync()).Should().Contain("protocol version 0");
    }

    [Theory]
    [InlineData("machineId", 129, "machineId must be 1 to 128 characters")]
    [InlineData("hostname", 256, "hostname must be 1 to 255 characters")]
    [InlineData("agentVersion", 65, "agentVersion is too long")]
    public async Task Oversized_enrollment_fields_are_refused_and_enroll_nothing(string field, int length, string detail)
    {
        var body = new Dictionary<string, object> { ["machineId"] = "m-" + Guid.NewGuid().ToString("N"), ["hostname"] = "h", ["protocolVersion"] = 1, ["agentVersion"] = "t" };
        body[field] = new string('x', length);
        using var admin = await core.ClientAsync();
        var before = (await CoreApp.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes")).Count;

        using var response = await core.EnrollAsync(core.EnrollmentKey, body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString().Should().Be(detail);
        (await CoreApp.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes")).Should().HaveCount(before);
    }

    [Fact]
    public async Task A_refused_enrollment_is_audited_without_the_callers_control_characters()
    {
        var hostile = "evil\u001b[31m\r\nFAKE LOG LINE\u0007" + new string('x', 500);

        using var response = await core.EnrollAsync("sxk_nope", new { machineId = "m", hostname = hostile, protocolVersion = 1, agentVersion = "t" });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var admin = await core.ClientAsync();
        var audit = await CoreApp.GetJsonAsync<List<AuditEntryView>>(admin, "/api/v1/audit?action=node.enroll");
        var entry = audit.Should().ContainSingle(e => e.Target.StartsWith("evil", StringComparison.Ordinal)).Subject;
        entry.Result.Should().Be("refused");
        entry.Target.Should().Be("evil[31mFAKE LOG LINE" + new string('x', 64 - "evil[31mFAKE LOG LINE".Length));
        entry.Actor.Should().Be(entry.Target);
    }

    private static string Samples(long seq, string cpu) =>
        $$$"""{"jsonrpc":"2.0","method":"metrics.samples","params":{"samples":[{"seq":{{{seq}}},"timestamp":"{{{DateTimeOffset.UtcNow:O}}}","cpuPercent":{{{cpu}}},"memTotalBytes":1000,"memUsedBytes":10}]}}""";

    private async Task<ClientWebSocket> ConnectAsync(EnrollResponse node, string? secret = null, string protocol = "1")
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader(ProtocolInfo.NodeIdHeader, node.NodeId);
        ws.Options.SetRequestHeader("Authorization", "Bearer " + (secret ?? node.Secret));
        ws.Options.SetRequestHeader(ProtocolInfo.ProtocolHeader, protocol);
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{core.Port}{ProtocolInfo.WebSocketPath}"), CancellationToken.None);
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

    /// <summary>
    /// The next answer to this client. Requests the Core sends on its own after hello (the Node's
    /// probe set) are skipped: this raw client answers none of them, which costs the Core one timeout.
    /// </summary>
    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket ws)
    {
        while (true)
        {
            var message = await ReceiveMessageAsync(ws);
            if (!(message.TryGetProperty("method", out _) && message.TryGetProperty("id", out _))) return message;
        }
    }

    private static async Task<JsonElement> ReceiveMessageAsync(ClientWebSocket ws)
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
