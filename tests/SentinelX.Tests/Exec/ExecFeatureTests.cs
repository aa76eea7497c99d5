using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Text;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Protocol;
using Xunit;

namespace SentinelX.Tests.Exec;

/// <summary>The Node's exec handlers over a real loopback WebSocket, with a test peer in the Core's place.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ExecFeatureTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _session = new();
    private readonly ConcurrentQueue<ExecOutput> _output = new();
    private readonly TaskCompletionSource<ExecExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebSocket _coreSocket = null!;
    private WebSocket _nodeSocket = null!;

    public async Task InitializeAsync()
    {
        (_coreSocket, _nodeSocket) = await LoopbackWebSockets.CreatePairAsync();
    }

    public Task DisposeAsync()
    {
        _session.Cancel();
        _coreSocket.Dispose();
        _nodeSocket.Dispose();
        _session.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_node_refuses_exec_when_its_own_allow_list_lacks_it()
    {
        var core = Connect(["files"]);

        var act = () => core.RequestAsync(Methods.ExecStart, new ExecStartParams { RunId = "r1", Command = "touch /tmp/should-not-exist" },
            ProtocolJsonContext.Default.ExecStartParams, ProtocolJsonContext.Default.ExecStartResult);

        var error = (await act.Should().ThrowAsync<JsonRpcException>()).Which;
        error.Code.Should().Be(JsonRpcErrorCodes.CapabilityForbidden);
        error.Message.Should().Contain("does not allow exec");
    }

    [Fact]
    public async Task A_node_whose_config_names_no_allow_list_refuses_exec()
    {
        var home = Directory.CreateTempSubdirectory("sx-exec-default-").FullName;
        try
        {
            var (settings, errors) = NodeSettingsLoader.Load(["--core", "http://127.0.0.1:1", "--key", "k"], _ => null,
                new NodeHost(Path.Combine(home, "node.json"), IsRoot: false, home));
            errors.Should().BeEmpty();
            var core = Connect([.. settings!.Allow]);

            var act = () => core.RequestAsync(Methods.ExecStart, new ExecStartParams { RunId = "r0", Command = "true" },
                ProtocolJsonContext.Default.ExecStartParams, ProtocolJsonContext.Default.ExecStartResult);

            (await act.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.CapabilityForbidden);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task A_command_streams_its_output_then_its_exit()
    {
        var core = Connect(["exec"]);

        var started = await core.RequestAsync(Methods.ExecStart, new ExecStartParams { RunId = "r2", Command = "echo hi; echo oops >&2; exit 4", TimeoutSeconds = 10 },
            ProtocolJsonContext.Default.ExecStartParams, ProtocolJsonContext.Default.ExecStartResult);
        var exit = await _exit.Task.WaitAsync(TimeSpan.FromSeconds(10));

        started.Pid.Should().BePositive();
        exit.Status.Should().Be(ExecStatuses.Exited);
        exit.ExitCode.Should().Be(4);
        Text("stdout").Should().Be("hi\n");
        Text("stderr").Should().Be("oops\n");
    }

    [Fact]
    public async Task Bad_requests_get_clear_errors()
    {
        var core = Connect(["exec"]);
        foreach (var (request, code) in new[]
                 {
                     (new ExecStartParams { RunId = "a", Command = "true", Env = new Dictionary<string, string> { ["A-B"] = "1" } }, JsonRpcErrorCodes.InvalidParams),
                     (new ExecStartParams { RunId = "b", Command = "true", TimeoutSeconds = 0 }, JsonRpcErrorCodes.InvalidParams),
                     (new ExecStartParams { RunId = "c", Command = "true", WorkingDirectory = "/no/such/place" }, JsonRpcErrorCodes.NotFound),
                     (new ExecStartParams { RunId = "d", Command = "true", RunAs = "no-such-user-here" }, JsonRpcErrorCodes.NotFound),
                 })
        {
            var act = () => core.RequestAsync(Methods.ExecStart, request, ProtocolJsonContext.Default.ExecStartParams, ProtocolJsonContext.Default.ExecStartResult);
            (await act.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(code, request.RunId);
        }
    }

    private string Text(string stream) => Encoding.UTF8.GetString(_output.Where(o => o.Stream == stream).SelectMany(o => o.Data).ToArray());

    private JsonRpcPeer Connect(string[] allow)
    {
        var settings = new NodeSettings
        {
            Core = new Uri("http://127.0.0.1:1"),
            DataDir = Path.GetTempPath(),
            Allow = new HashSet<string>(allow, StringComparer.Ordinal),
        };
        var context = new SessionContext(settings, new StreamDialer(settings.Core, "n1", "secret"), _session.Token);
        var nodeMethods = new JsonRpcMethods();
        new ExecFeature().Register(nodeMethods, context);
        var node = new JsonRpcPeer(_nodeSocket, nodeMethods);
        context.Peer = node;
        var core = new JsonRpcPeer(_coreSocket, new JsonRpcMethods()
            .OnNotification(Methods.ExecOutput, ProtocolJsonContext.Default.ExecOutput, (o, _) =>
            {
                _output.Enqueue(o);
                return ValueTask.CompletedTask;
            })
            .OnNotification(Methods.ExecExit, ProtocolJsonContext.Default.ExecExit, (e, _) =>
            {
                _exit.TrySetResult(e);
                return ValueTask.CompletedTask;
            }));
        _ = node.RunAsync(_session.Token);
        _ = core.RunAsync(_session.Token);
        return core;
    }
}
