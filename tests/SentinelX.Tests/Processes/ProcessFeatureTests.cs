using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Processes;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Protocol;
using Xunit;

namespace SentinelX.Tests.Processes;

/// <summary><c>process.top</c> on the Node over a real loopback WebSocket: it checks its params itself and needs no capability.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ProcessFeatureTests : IAsyncLifetime
{
    private static readonly JsonTypeInfo<JsonElement> Raw = (JsonTypeInfo<JsonElement>)JsonSerializerOptions.Default.GetTypeInfo(typeof(JsonElement));

    private readonly CancellationTokenSource _session = new();
    private readonly List<WebSocket> _sockets = [];
    private JsonRpcPeer _core = null!;

    public async Task InitializeAsync()
    {
        var (coreSocket, nodeSocket) = await LoopbackWebSockets.CreatePairAsync();
        _sockets.AddRange([coreSocket, nodeSocket]);
        // A monitor-only Node: nothing in its allow list.
        var settings = new NodeSettings { Core = new Uri("http://127.0.0.1:1"), DataDir = Path.GetTempPath(), Allow = new HashSet<string>(StringComparer.Ordinal) };
        var context = new SessionContext(settings, new StreamDialer(settings.Core, "n1", "secret"), _session.Token);
        var methods = new JsonRpcMethods();
        new ProcessFeature().Register(methods, context);
        var node = new JsonRpcPeer(nodeSocket, methods);
        context.Peer = node;
        _core = new JsonRpcPeer(coreSocket, new JsonRpcMethods());
        _ = node.RunAsync(_session.Token);
        _ = _core.RunAsync(_session.Token);
    }

    public Task DisposeAsync()
    {
        _session.Cancel();
        foreach (var socket in _sockets) socket.Dispose();
        _session.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_Node_that_allows_nothing_still_lists_its_processes()
    {
        var result = await _core.RequestAsync(Methods.ProcessTop, new ProcessTopParams { Top = 5, Sort = ProcessNames.Cpu },
            ProtocolJsonContext.Default.ProcessTopParams, ProtocolJsonContext.Default.ProcessTopResult);

        result.Processes.Should().NotBeEmpty().And.HaveCountLessThanOrEqualTo(5);
        result.Processes.Select(p => p.CpuPercent).Should().BeInDescendingOrder();
        result.SampledMs.Should().BeGreaterThanOrEqualTo(500);
    }

    [Theory]
    [InlineData("""{"top":0,"sort":"cpu"}""", "top must be")]
    [InlineData("""{"top":201,"sort":"memory"}""", "top must be")]
    [InlineData("""{"top":-5,"sort":"cpu"}""", "top must be")]
    [InlineData("""{"top":2147483647,"sort":"cpu"}""", "top must be")]
    [InlineData("""{"top":20,"sort":"name"}""", "sort must be")]
    [InlineData("""{"top":20,"sort":"CPU"}""", "sort must be")]
    [InlineData("""{"top":20,"sort":""}""", "sort must be")]
    [InlineData("""{"top":20,"sort":"cpu\r\nX-Injected: 1"}""", "sort must be")]
    [InlineData("""{}""", "invalid params")]
    [InlineData("""{"top":20}""", "invalid params")]
    [InlineData("""{"sort":"cpu"}""", "invalid params")]
    [InlineData("""{"top":20,"sort":null}""", "invalid params")]
    [InlineData("""{"top":20.5,"sort":"cpu"}""", "invalid params")]
    [InlineData("""{"top":1e30,"sort":"cpu"}""", "invalid params")]
    [InlineData("""{"top":20,"sort":["cpu"]}""", "invalid params")]
    [InlineData("""[20,"cpu"]""", "invalid params")]
    [InlineData("\"top\"", "invalid params")]
    public async Task Hostile_params_are_refused_with_invalid_params(string parameters, string message)
    {
        var call = () => _core.RequestAsync(Methods.ProcessTop, Json(parameters), Raw, ProtocolJsonContext.Default.ProcessTopResult);

        var error = (await call.Should().ThrowAsync<JsonRpcException>()).Which;
        error.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
        error.Message.Should().StartWith(message);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
