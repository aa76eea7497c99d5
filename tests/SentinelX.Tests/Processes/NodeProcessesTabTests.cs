using System.Collections.Concurrent;
using System.Net.WebSockets;
using Bunit;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Processes;
using SentinelX.App.Ui;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Hosting;
using SentinelX.Tests.Protocol;
using SentinelX.Tests.Ui;
using Xunit;

namespace SentinelX.Tests.Processes;

/// <summary>
/// The Processes tab over a real Core session and a loopback WebSocket to a Node that answers
/// <c>process.top</c> from a script, so each test knows exactly which rows and which requests to expect.
/// </summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class NodeProcessesTabTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<WebSocket> _sockets = [];
    private readonly List<IAsyncDisposable> _peers = [];
    private readonly ConcurrentQueue<ProcessTopParams> _asked = new();
    private Func<ProcessTopParams, ProcessTopResult> _answer = Answer;

    private ComponentTestContext Ui { get; set; } = null!;

    private SentinelX.App.Features.Localization.UiText T => Ui.T;

    public async Task InitializeAsync()
    {
        Ui = await ComponentTestContext.StartAsync();
        Ui.Services.AddSingleton<TimeProvider>(_time);
    }

    public async Task DisposeAsync()
    {
        await Ui.DisposeAsync();
        await _stop.CancelAsync();
        foreach (var peer in _peers) await peer.DisposeAsync();
        foreach (var socket in _sockets) socket.Dispose();
        _stop.Dispose();
    }

    private static readonly ProcessInfo Nginx = new()
    {
        Pid = 812, Name = "nginx", User = "www-data", CpuPercent = 12.5, MemBytes = 48L << 20,
        Command = "nginx: worker process " + new string('x', 300),
    };

    private static readonly ProcessInfo Postgres = new()
    {
        Pid = 1044, Name = "postgres", User = "postgres", CpuPercent = 3, MemBytes = 900L << 20, Command = "/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main",
    };

    private static readonly ProcessInfo Kthreadd = new() { Pid = 2, Name = "kthreadd", User = "root", CpuPercent = 0, MemBytes = 0, Command = "[kthreadd]" };

    /// <summary>What the scripted Node sends: by CPU or by memory, at most <c>top</c>.</summary>
    private static ProcessTopResult Answer(ProcessTopParams p) => new()
    {
        Processes = (p.Sort == ProcessNames.Memory ? new[] { Postgres, Nginx, Kthreadd } : [Nginx, Postgres, Kthreadd]).Take(p.Top).ToList(),
        SampledMs = 503,
    };

    [Fact]
    public async Task Rows_show_the_Node_answer_with_units_and_the_full_command_on_hover()
    {
        var node = await ConnectedNodeAsync();
        Ui.SignIn(Roles.Viewer);

        var tab = Render(node);

        tab.WaitForAssertion(() => tab.FindAll("[data-testid=process-row]").Should().HaveCount(3));
        var first = tab.FindAll("[data-testid=process-row]")[0];
        first.GetAttribute("data-pid").Should().Be("812");
        first.TextContent.Should().Contain("nginx").And.Contain("www-data");
        first.QuerySelector("[data-testid=process-cpu]")!.TextContent.Should().Be("12.5");
        first.QuerySelector("[data-testid=process-mem]")!.TextContent.Should().Be(Units.Bytes(48L << 20));
        first.QuerySelector("[data-testid=process-command]")!.GetAttribute("title").Should().Be(Nginx.Command);
        tab.Find("[data-testid=processes-note]").TextContent.Should().Contain("503 ms");
        _asked.Should().ContainSingle().Which.Should().Be(new ProcessTopParams { Top = ProcessNames.DefaultTop, Sort = ProcessNames.Cpu });
    }

    [Fact]
    public async Task The_sort_switch_and_the_count_ask_the_Node_again()
    {
        var node = await ConnectedNodeAsync();
        Ui.SignIn(Roles.Viewer);
        var tab = Render(node);
        tab.WaitForAssertion(() => tab.FindAll("[data-testid=process-row]").Should().HaveCount(3));

        Choose(tab, "processes-sort", T["Memory"]);

        tab.WaitForAssertion(() => tab.FindAll("[data-testid=process-row]")[0].GetAttribute("data-pid").Should().Be("1044"));
        _asked.Last().Should().Be(new ProcessTopParams { Top = ProcessNames.DefaultTop, Sort = ProcessNames.Memory });

        Choose(tab, "processes-top", "10");

        tab.WaitForAssertion(() => _asked.Last().Should().Be(new ProcessTopParams { Top = 10, Sort = ProcessNames.Memory }));
        _asked.Should().HaveCount(3);
    }

    [Fact]
    public async Task It_refreshes_on_the_timer_only_while_visible_and_at_once_when_shown_again()
    {
        var node = await ConnectedNodeAsync();
        Ui.SignIn(Roles.Viewer);
        var tab = Render(node);
        tab.WaitForAssertion(() => _asked.Should().HaveCount(1));

        _time.Advance(NodeProcessesTab.RefreshEvery);
        tab.WaitForAssertion(() => _asked.Should().HaveCount(2));

        tab.Render(p => p.Add(c => c.Visible, false));
        _time.Advance(NodeProcessesTab.RefreshEvery * 5);
        tab.Render(p => p.Add(c => c.Visible, true));

        // One socket, in order: a request sent while hidden would have arrived before the one for being shown.
        tab.WaitForAssertion(() => _asked.Should().HaveCount(3));
        _time.Advance(NodeProcessesTab.RefreshEvery);
        tab.WaitForAssertion(() => _asked.Should().HaveCount(4));
    }

    [Fact]
    public async Task Closing_the_tab_stops_the_timer()
    {
        var node = await ConnectedNodeAsync();
        Ui.SignIn(Roles.Viewer);
        var tab = Render(node);
        tab.WaitForAssertion(() => _asked.Should().HaveCount(1));

        await Ui.DisposeComponentsAsync();
        _time.Advance(NodeProcessesTab.RefreshEvery * 3);

        // A later request on the same socket overtakes nothing: had the timer fired, its request would be first.
        await Ui.Core<NodeProcesses>().TopAsync(node, 1, ProcessNames.Cpu, CancellationToken.None);
        _asked.Should().HaveCount(2);
        _asked.Last().Top.Should().Be(1);
    }

    [Fact]
    public async Task An_offline_Node_shows_the_failure_and_no_rows()
    {
        var node = await Ui.AddNodeAsync("off", "sleepy");
        Ui.SignIn(Roles.Viewer);

        var tab = Render(node);

        tab.WaitForAssertion(() => tab.Find("[data-testid=processes-error]").GetAttribute("data-code").Should().Be("node-offline"));
        tab.FindAll("[data-testid=process-row]").Should().BeEmpty();
    }

    [Fact]
    public async Task A_hostile_answer_is_refused_and_shown_as_a_Node_error()
    {
        _answer = p => new ProcessTopResult
        {
            Processes = [Nginx with { Name = "evil\u001b[2J" }],
            SampledMs = 500,
        };
        var node = await ConnectedNodeAsync();
        Ui.SignIn(Roles.Viewer);

        var tab = Render(node);

        tab.WaitForAssertion(() => tab.Find("[data-testid=processes-error]").GetAttribute("data-code").Should().Be("node-error"));
        tab.FindAll("[data-testid=process-row]").Should().BeEmpty();
        tab.Markup.Should().NotContain("\u001b");
    }

    [Fact]
    public async Task Without_a_role_nothing_is_asked()
    {
        var node = await ConnectedNodeAsync();

        var tab = Render(node);

        tab.WaitForAssertion(() => tab.Find("[data-testid=processes-error]").GetAttribute("data-code").Should().Be("forbidden"));
        _asked.Should().BeEmpty();
    }

    [Fact]
    public async Task The_tab_speaks_Chinese()
    {
        var node = await ConnectedNodeAsync();
        Ui.SignIn(Roles.Viewer).Speak("zh-CN");

        var tab = Render(node);

        tab.WaitForAssertion(() => tab.FindAll("[data-testid=process-row]").Should().HaveCount(3));
        tab.Markup.Should().Contain("内存").And.Contain("命令").And.Contain("503 毫秒");
    }

    private IRenderedComponent<NodeProcessesTab> Render(NodeState node) => Ui.Render<NodeProcessesTab>(p => p.Add(c => c.Node, node));

    /// <summary>Clicks the item labelled <paramref name="text"/> of a Radzen select bar.</summary>
    private static void Choose(IRenderedComponent<NodeProcessesTab> tab, string testId, string text) =>
        tab.FindAll($"[data-testid={testId}] .rz-button").Single(b => b.TextContent.Trim() == text).Click();

    /// <summary>A Node connected to the Core's registry through a real session whose other end answers from <see cref="_answer"/>.</summary>
    private async Task<NodeState> ConnectedNodeAsync()
    {
        var node = await Ui.AddNodeAsync("n-" + Guid.NewGuid().ToString("N")[..8], "web-1");
        var (coreSocket, nodeSocket) = await LoopbackWebSockets.CreatePairAsync();
        _sockets.AddRange([coreSocket, nodeSocket]);
        var session = new NodeSession(node, coreSocket, Ui.Core<SampleWriter>(), Ui.Core<IServiceScopeFactory>(), NullLogger.Instance, TimeProvider.System, []);
        _peers.Add(session);
        node.Attach(session);
        _ = session.RunAsync(_stop.Token);

        var methods = new JsonRpcMethods().OnRequest(Methods.ProcessTop, ProtocolJsonContext.Default.ProcessTopParams, ProtocolJsonContext.Default.ProcessTopResult,
            (p, _) =>
            {
                _asked.Enqueue(p);
                return ValueTask.FromResult(_answer(p));
            });
        var peer = new JsonRpcPeer(nodeSocket, methods);
        _peers.Add(peer);
        _ = peer.RunAsync(_stop.Token);
        return node;
    }
}
