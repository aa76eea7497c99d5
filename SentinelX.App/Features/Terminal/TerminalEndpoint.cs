using System.Globalization;
using System.Net.WebSockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Identity;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Terminal;

/// <summary>
/// <c>GET /ui/terminal/{nodeId}?cols=&amp;rows=</c>, a WebSocket for the browser's terminal. It sits
/// under the UI (sign-in cookie, never an API token) and so checks the Origin header itself: a page
/// on another site could otherwise open it with the user's cookie (cross-site WebSocket hijacking).
/// Everything is checked before the upgrade, so a refusal is an ordinary ProblemDetails response.
/// </summary>
public static class TerminalEndpoint
{
    public const string Path = "/ui/terminal";

    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapTerminal(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path + "/{nodeId}", OpenAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> OpenAsync(HttpContext http, string nodeId, int? cols, int? rows, NodeRegistry registry,
        NodeStreams streams, TerminalSessions sessions, AuditLog audit, IAuthorizationService authorization,
        IOptions<TerminalOptions> options, TimeProvider time, ILoggerFactory logs, AccountSessions accounts, IOptions<IdentityOptions> identity)
    {
        var actor = AuditActor.From(http);
        async Task<IResult> RefuseAsync(NodeFailure refusal)
        {
            if (http.User.Identity?.IsAuthenticated == true)
                await audit.RecordAsync(actor, AuditActions.ShellOpen, registry.Find(nodeId)?.Id, "terminal", AuditResults.Refused,
                    refusal.Lock is { } lockName ? $"lock {lockName}: {refusal.Detail}" : refusal.Detail);
            return refusal.ToProblem();
        }

        if (!http.WebSockets.IsWebSocketRequest)
            return Results.Problem(statusCode: 400, title: "WebSocket expected", detail: "open the terminal with a WebSocket upgrade");
        if (http.User.Identity?.IsAuthenticated != true || http.User.FindFirstValue(ClaimTypes.NameIdentifier) is not { } userId)
            return Results.Problem(statusCode: 401, title: "Sign in first", detail: "the terminal needs the sign-in cookie of the web UI");
        var stamp = http.User.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        var role = http.User.FindFirstValue(ClaimTypes.Role);
        if (!await accounts.IsCurrentAsync(userId, stamp, role, http.RequestAborted))
            return Results.Problem(statusCode: 401, title: "Sign in again", detail: "your account was changed since you signed in");
        if (!IsSameOrigin(http.Request))
            return await RefuseAsync(new NodeFailure(NodeFailureKind.Forbidden, "Cross-origin request refused", $"Origin \"{http.Request.Headers.Origin}\" does not match this server ({http.Request.Scheme}://{http.Request.Host})"));
        if (!(await authorization.AuthorizeAsync(http.User, Policies.Operator)).Succeeded)
            return await RefuseAsync(new NodeFailure(NodeFailureKind.Forbidden, "Operators only", "viewers cannot open terminals; an admin can make you an operator"));
        if (registry.Find(nodeId) is not { } node)
            return NodeFailure.UnknownNode(nodeId).ToProblem();
        if (CapabilityLocks.Check(node, Capabilities.Shell) is { } refusal)
            return await RefuseAsync(refusal);
        if (sessions.CountFor(userId) >= options.Value.MaxPerUser)
            return await RefuseAsync(new NodeFailure(NodeFailureKind.TooMany, "Too many terminals", $"you have {options.Value.MaxPerUser} terminals open; close one first"));
        if (node.Session is null)
            return await RefuseAsync(NodeFailure.Offline(node));

        var sessionId = SecretText.New("sxt_");
        using var stream = streams.Expect(node.Id);
        var opened = await node.RequestAsync(Capabilities.Shell, Methods.ShellOpen,
            new ShellOpenParams { SessionId = sessionId, StreamId = stream.Id, Cols = cols ?? 80, Rows = rows ?? 24 },
            ProtocolJsonContext.Default.ShellOpenParams, ProtocolJsonContext.Default.ShellOpenResult, null, http.RequestAborted);
        if (!opened.Succeeded) return await FailAsync(opened.Failure with { Title = "The node could not open a terminal" });
        var pid = opened.Value.Pid;

        WebSocket nodeSocket;
        try
        {
            nodeSocket = await stream.ConnectAsync(StreamTimeout, http.RequestAborted);
        }
        catch (TimeoutException ex)
        {
            return await FailAsync(NodeFailure.TimedOut(ex.Message) with { Title = "The node did not connect the terminal" });
        }

        using var browser = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        using var session = new TerminalSession(sessionId, node.Id, userId, time.GetUtcNow().ToUnixTimeMilliseconds());
        sessions.Add(session);
        // Ends the terminal when the account changes: demoted, deleted, password or two-factor reset.
        using var lease = accounts.Track(userId, actor.Name, stamp, role, $"terminal on {node.Name}", session.End);
        var size = ShellLimits.Clamp(cols ?? 80, rows ?? 24);
        await audit.RecordAsync(actor, AuditActions.ShellOpen, node.Id, $"terminal {sessionId}", AuditResults.Ok, $"pid {pid}, {size.Cols}x{size.Rows}");
        string ended;
        try
        {
            ended = await new TerminalBridge(browser, nodeSocket, session, options.Value.IdleTimeout, logs.CreateLogger<TerminalBridge>())
                .RunAsync(http.RequestAborted);
        }
        finally
        {
            sessions.Remove(session);
        }

        var seconds = (time.GetUtcNow().ToUnixTimeMilliseconds() - session.StartedAt) / 1000.0;
        await audit.RecordAsync(actor, AuditActions.ShellClose, node.Id, $"terminal {sessionId}", AuditResults.Ok,
            string.Create(CultureInfo.InvariantCulture, $"{ended} after {seconds:0.#} s"));
        return Results.Empty;

        async Task<IResult> FailAsync(NodeFailure failure)
        {
            await audit.RecordAsync(actor, AuditActions.ShellOpen, node.Id, "terminal", failure.Status == StatusCodes.Status403Forbidden ? AuditResults.Refused : AuditResults.Failed, failure.Detail);
            return failure.ToProblem();
        }
    }

    /// <summary>
    /// True when the Origin header names the host the request was sent to. Browsers always send
    /// Origin on a WebSocket handshake and omit default ports in it just as in Host, so the two
    /// authorities compare directly; a missing Origin is refused too.
    /// </summary>
    internal static bool IsSameOrigin(HttpRequest request) =>
        Uri.TryCreate(request.Headers.Origin.ToString(), UriKind.Absolute, out var origin)
        && origin.Scheme is "http" or "https"
        && request.Host.HasValue
        && string.Equals(origin.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
