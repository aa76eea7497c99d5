using System.Net;
using System.Net.WebSockets;
using System.Text;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using SentinelX.E2E.Ui;
using Xunit;

namespace SentinelX.E2E;

/// <summary>One Core with a Node that allows the shell and one that does not, shared by the terminal tests.</summary>
public sealed class TerminalCore : IAsyncLifetime
{
    public const string Password = "terminal tests password";

    public CoreInstance Core { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public string NodeId { get; private set; } = "";
    public string LockedNodeId { get; private set; } = "";
    private readonly List<NodeInstance> _nodes = [];

    public async Task InitializeAsync()
    {
        // Short enough for the idle test to wait out, long enough that no other test goes idle.
        Core.Environment["SENTINELX_Terminal__IdleMinutes"] = "0.15";
        await Core.StartAsync();
        Admin = await Core.ClientAsync();
        foreach (var (name, role) in new[] { ("ops", "operator"), ("ops2", "operator"), ("watcher", "viewer") })
            await AccountsTestKit.AddUserAsync(Core, name, role, Password);

        var node = Core.NewNode("term");
        node.ExtraArgs.AddRange(["--allow", "shell"]);
        var locked = Core.NewNode("no-shell");
        locked.ExtraArgs.AddRange(["--allow", "exec"]);
        _nodes.AddRange([node, locked]);
        NodeId = await Core.StartOnlineNodeAsync(node, Admin, "shell");
        LockedNodeId = await Core.StartOnlineNodeAsync(locked, Admin);
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        Admin.Dispose();
        await Core.DisposeAsync();
    }
}

/// <summary>The browser terminal endpoint against the real Core and Node binaries: refusals, bytes both ways, ends.</summary>
public sealed class TerminalTests(TerminalCore fixture) : IClassFixture<TerminalCore>
{
    private CoreInstance Core => fixture.Core;

    [Fact]
    public async Task Refuses_without_sign_in_for_viewers_cross_site_and_with_either_lock_closed()
    {
        (await StatusAsync(null, fixture.NodeId)).Should().Be(HttpStatusCode.Unauthorized);

        var viewer = await SignInAsync("watcher");
        (await StatusAsync(viewer, fixture.NodeId)).Should().Be(HttpStatusCode.Forbidden);

        var ops = await SignInAsync("ops");
        (await StatusAsync(ops, fixture.NodeId, origin: "http://evil.example")).Should().Be(HttpStatusCode.Forbidden, "another site's page must not use the cookie");
        (await StatusAsync(ops, fixture.NodeId, origin: "")).Should().Be(HttpStatusCode.Forbidden, "browsers always send Origin");
        (await StatusAsync(ops, "no-such-node")).Should().Be(HttpStatusCode.NotFound);

        // An API token is not a way in: the endpoint takes the sign-in cookie only.
        using (var tokenSocket = new ClientWebSocket())
        {
            tokenSocket.Options.CollectHttpResponseDetails = true;
            tokenSocket.Options.SetRequestHeader("Origin", Core.Url);
            tokenSocket.Options.SetRequestHeader("Authorization", fixture.Admin.DefaultRequestHeaders.Authorization!.ToString());
            var connect = () => tokenSocket.ConnectAsync(new Uri($"ws://127.0.0.1:{Core.Port}/ui/terminal/{fixture.NodeId}"), CancellationToken.None);
            await connect.Should().ThrowAsync<WebSocketException>();
            tokenSocket.HttpStatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        // The Core's lock, on a server that allows shell: closed for a moment on the terminal Node.
        await CoreInstance.SetCapabilitiesAsync(fixture.Admin, fixture.NodeId, new Dictionary<string, bool> { ["shell"] = false });
        var (coreLock, coreBody) = await ProblemAsync(ops, fixture.NodeId);
        await CoreInstance.SetCapabilitiesAsync(fixture.Admin, fixture.NodeId, new Dictionary<string, bool> { ["shell"] = true });
        coreLock.Should().Be(HttpStatusCode.Forbidden);
        coreBody.Should().Contain("\"lock\":\"core\"");

        // The server's own lock is named whether or not the Core's switch is on.
        var (nodeLock, nodeBody) = await ProblemAsync(ops, fixture.LockedNodeId);
        nodeLock.Should().Be(HttpStatusCode.Forbidden);
        nodeBody.Should().Contain("\"lock\":\"node\"");
        await CoreInstance.SetCapabilitiesAsync(fixture.Admin, fixture.LockedNodeId, new Dictionary<string, bool> { ["shell"] = true });
        (nodeLock, nodeBody) = await ProblemAsync(ops, fixture.LockedNodeId);
        nodeLock.Should().Be(HttpStatusCode.Forbidden);
        nodeBody.Should().Contain("\"lock\":\"node\"");

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fixture.Admin, "/api/v1/audit?action=shell.open");
        audit.Should().Contain(e => e.Actor == "watcher" && e.Result == "refused");
        audit.Should().Contain(e => e.Actor == "ops" && e.Result == "refused" && e.Detail.Contains("Origin", StringComparison.Ordinal));
        audit.Should().Contain(e => e.Actor == "ops" && e.NodeId == fixture.NodeId && e.Detail.StartsWith("lock core", StringComparison.Ordinal));
        audit.Should().Contain(e => e.Actor == "ops" && e.NodeId == fixture.LockedNodeId && e.Detail.StartsWith("lock node", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_real_shell_on_a_pty_round_trips_utf8_resizes_and_reports_its_exit()
    {
        var ops = await SignInAsync("ops");
        using var terminal = await TerminalSocket.OpenAsync(Core, ops, fixture.NodeId, 100, 30);
        await terminal.SendAsync("echo 你好 && tty && stty size && echo $TERM\r");
        var output = await terminal.ReadUntilAsync(s => s.Contains("xterm-256color\r\n", StringComparison.Ordinal));
        output.Should().Contain("你好\r\n");
        output.Should().MatchRegex(@"/dev/pts/\d+\r\n");
        output.Should().Contain("30 100\r\n");

        await terminal.ResizeAsync(132, 40);
        await terminal.SendAsync("stty size\r");
        await terminal.ReadUntilAsync(s => s.Contains("40 132\r\n", StringComparison.Ordinal));

        // Ctrl-C interrupts the foreground job and the shell carries on.
        await terminal.SendAsync("sleep 100\r");
        await Task.Delay(500);
        await terminal.SendAsync("\u0003echo after-$((6*7))\r");
        await terminal.ReadUntilAsync(s => s.Contains("after-42", StringComparison.Ordinal));

        await terminal.SendAsync("exit 3\r");
        (await terminal.WaitClosedAsync()).Should().Be("exit 3");

        // The close is recorded once both sockets are closed, just after the browser saw it.
        var close = await AuditedAsync("shell.close", e => e.Detail.StartsWith("exit 3 after", StringComparison.Ordinal));
        close.Actor.Should().Be("ops");
        var open = (await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fixture.Admin, $"/api/v1/audit?node={fixture.NodeId}&action=shell.open"))
            .Should().ContainSingle(e => e.Target == close.Target && e.Result == "ok").Subject;
        open.Detail.Should().MatchRegex(@"^pid \d+, 100x30$");
    }

    [Fact]
    public async Task Signing_out_closing_the_lock_and_idling_each_close_terminals()
    {
        var ops2 = await SignInAsync("ops2");
        using var first = await TerminalSocket.OpenAsync(Core, ops2, fixture.NodeId, 80, 24);
        using var second = await TerminalSocket.OpenAsync(Core, ops2, fixture.NodeId, 80, 24);
        await first.SendAsync("echo one-$((1+1))\r");
        await first.ReadUntilAsync(s => s.Contains("one-2", StringComparison.Ordinal));
        await second.SendAsync("echo two-$((2+2))\r");
        await second.ReadUntilAsync(s => s.Contains("two-4", StringComparison.Ordinal), "two sessions at once");

        using (var client = AccountsTestKit.CookieClient(Core, ops2))
        {
            var token = await AccountsTestKit.AntiforgeryTokenAsync(client, "/");
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
            using var logout = await client.PostAsync("/account/logout", form);
            logout.StatusCode.Should().Be(HttpStatusCode.Redirect);
        }

        (await first.WaitClosedAsync()).Should().Be("logout");
        (await second.WaitClosedAsync()).Should().Be("logout");

        var ops = await SignInAsync("ops");
        // An admin closing the Core's lock ends the terminals already open on that Node.
        using (var open = await TerminalSocket.OpenAsync(Core, ops, fixture.NodeId, 80, 24))
        {
            await open.SendAsync("echo lock-$((2*5))\r");
            await open.ReadUntilAsync(s => s.Contains("lock-10", StringComparison.Ordinal));
            await CoreInstance.SetCapabilitiesAsync(fixture.Admin, fixture.NodeId, new Dictionary<string, bool> { ["shell"] = false });
            try
            {
                (await open.WaitClosedAsync()).Should().Be("shell turned off");
            }
            finally
            {
                await CoreInstance.SetCapabilitiesAsync(fixture.Admin, fixture.NodeId, new Dictionary<string, bool> { ["shell"] = true });
            }
        }

        using var idle = await TerminalSocket.OpenAsync(Core, ops, fixture.NodeId, 80, 24);
        await idle.SendAsync("echo idle-$((3*3))\r");
        await idle.ReadUntilAsync(s => s.Contains("idle-9", StringComparison.Ordinal));
        (await idle.WaitClosedAsync(TimeSpan.FromSeconds(60))).Should().Be("idle timeout");

        await AuditedAsync("shell.close", e => e.Actor == "ops" && e.Detail.StartsWith("idle timeout after", StringComparison.Ordinal));
        var closes = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fixture.Admin, $"/api/v1/audit?node={fixture.NodeId}&action=shell.close");
        closes.Count(e => e.Actor == "ops2" && e.Detail.StartsWith("logout after", StringComparison.Ordinal)).Should().Be(2);
    }

    [Fact]
    public async Task Demoting_deleting_or_resetting_an_operator_closes_their_open_terminal_within_10_seconds()
    {
        // Each change is made by `sentinelx user …`, another process: the Core finds it by its own check.
        foreach (var (name, change, reason) in new (string, string[], string)[]
                 {
                     ("demoted-op", ["user", "set-role", "demoted-op", "--role", "viewer"], "role changed to viewer"),
                     ("deleted-op", ["user", "delete", "deleted-op"], "account deleted"),
                     ("reset-op", ["user", "reset-password", "reset-op"], "account changed"),
                 })
        {
            await AccountsTestKit.AddUserAsync(Core, name, "operator", TerminalCore.Password);
            var cookies = await SignInAsync(name);
            // Both using declarations end with each pass of the loop; the analyzer misreads them there.
#pragma warning disable CA2000
            using var open = await TerminalSocket.OpenAsync(Core, cookies, fixture.NodeId, 80, 24);
            await open.SendAsync("echo alive-$((6*7))\r");
            await open.ReadUntilAsync(s => s.Contains("alive-42", StringComparison.Ordinal));

            // Keep typing, so this fixture's short idle timeout does not end the terminal first.
            using var typing = new CancellationTokenSource();
            var keys = KeepTypingAsync(open, typing.Token);
#pragma warning restore CA2000
            var (code, _, stderr) = await Core.CliAsync(change);
            code.Should().Be(0, stderr);
            var closed = await open.WaitClosedAsync(TimeSpan.FromSeconds(10));
            await typing.CancelAsync();
            await keys;
            closed.Should().Be(reason, name);
            (await StatusAsync(cookies, fixture.NodeId)).Should().Be(HttpStatusCode.Unauthorized, "the old cookie opens no new terminal");
            await AuditedAsync("shell.close", e => e.Actor == name && e.Detail.StartsWith(reason + " after", StringComparison.Ordinal));
        }

        var ended = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fixture.Admin, "/api/v1/audit?action=account.session-end");
        ended.Select(e => e.Target).Should().Contain(["demoted-op", "deleted-op", "reset-op"]);
    }

    private static async Task KeepTypingAsync(TerminalSocket terminal, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await terminal.SendAsync(" ");
                await Task.Delay(TimeSpan.FromSeconds(2), stop);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or InvalidOperationException)
        {
            // Stopped, or the Core closed the terminal meanwhile.
        }
    }

    private Task<AuditEntryView> AuditedAsync(string action, Func<AuditEntryView, bool> match) =>
        Eventually.ValueAsync(async () =>
            (await CoreInstance.GetJsonAsync<List<AuditEntryView>>(fixture.Admin, $"/api/v1/audit?node={fixture.NodeId}&action={action}")).SingleOrDefault(match),
            TimeSpan.FromSeconds(10), action + " audited");

    private async Task<CookieContainer> SignInAsync(string user)
    {
        var cookies = new CookieContainer();
        using var client = AccountsTestKit.CookieClient(Core, cookies);
        var token = await AccountsTestKit.AntiforgeryTokenAsync(client, "/account/login");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.UserName"] = user,
            ["Input.Password"] = TerminalCore.Password,
        });
        using var response = await client.PostAsync("/account/login", form);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        cookies.GetCookies(new Uri(Core.Url)).Should().Contain(c => c.Name == "sx-auth", "signed in as " + user);
        return cookies;
    }

    private async Task<HttpStatusCode> StatusAsync(CookieContainer? cookies, string nodeId, string? origin = null) =>
        (await ProblemAsync(cookies, nodeId, origin)).Status;

    /// <summary>Tries the WebSocket handshake and returns the refusal's status and body.</summary>
    private async Task<(HttpStatusCode Status, string Body)> ProblemAsync(CookieContainer? cookies, string nodeId, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (cookies is not null) socket.Options.Cookies = cookies;
        if (origin != "") socket.Options.SetRequestHeader("Origin", origin ?? Core.Url);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Core.Port}/ui/terminal/{nodeId}"), CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // Refused before the upgrade; the handshake response says why.
        }

        socket.State.Should().NotBe(WebSocketState.Open);
        var body = "";
        if (socket.HttpResponseHeaders is not null)
        {
            // The body is not kept by ClientWebSocket: ask again over plain HTTP for the problem document.
            using var handler = new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false };
            using var http = new HttpClient(handler) { BaseAddress = new Uri(Core.Url) };
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/ui/terminal/{nodeId}");
            request.Headers.Add("Connection", "Upgrade");
            request.Headers.Add("Upgrade", "websocket");
            request.Headers.Add("Sec-WebSocket-Version", "13");
            request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
            if (origin != "") request.Headers.Add("Origin", origin ?? Core.Url);
            using var response = await http.SendAsync(request);
            body = await response.Content.ReadAsStringAsync();
        }

        return (socket.HttpStatusCode, body);
    }
}

/// <summary>A terminal opened the way the browser opens it: the sign-in cookie, same-origin, binary frames.</summary>
internal sealed class TerminalSocket : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly List<byte> _received = [];
    private readonly Task<string> _reader;
    private readonly object _gate = new();

    private TerminalSocket(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = ReadLoopAsync();
    }

    public static async Task<TerminalSocket> OpenAsync(CoreInstance core, CookieContainer cookies, string nodeId, int cols, int rows)
    {
        var socket = new ClientWebSocket();
        socket.Options.Cookies = cookies;
        socket.Options.SetRequestHeader("Origin", core.Url);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{core.Port}/ui/terminal/{nodeId}?cols={cols}&rows={rows}"), CancellationToken.None);
        return new TerminalSocket(socket);
    }

    /// <summary>What the terminal printed so far, decoded as UTF-8.</summary>
    public string Text
    {
        get
        {
            lock (_gate) return Encoding.UTF8.GetString([.. _received]);
        }
    }

    public Task SendAsync(string keys) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(keys), WebSocketMessageType.Binary, true, CancellationToken.None);

    public Task ResizeAsync(int cols, int rows) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"resize","cols":{{cols}},"rows":{{rows}}}"""), WebSocketMessageType.Text, true, CancellationToken.None);

    public async Task<string> ReadUntilAsync(Func<string, bool> done, string what = "terminal output")
    {
        await Eventually.WaitAsync(() => Task.FromResult(done(Text)), TimeSpan.FromSeconds(20), what, () => "terminal so far:\n" + Text);
        return Text;
    }

    /// <summary>Waits for the Core to close the terminal and returns the close description.</summary>
    public async Task<string> WaitClosedAsync(TimeSpan? timeout = null) =>
        await _reader.WaitAsync(timeout ?? TimeSpan.FromSeconds(20));

    private async Task<string> ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close) return _socket.CloseStatusDescription ?? "";
            lock (_gate) _received.AddRange(buffer.AsSpan(0, result.Count));
        }
    }

    public void Dispose() => _socket.Dispose();
}
