using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.WebSockets;
using SentinelX.Node.Config;
using SentinelX.Node.Connection;
using SentinelX.Node.Forwarding;
using SentinelX.Node.Logging;
using SentinelX.Node.Metrics;
using SentinelX.Node.Outbox;
using SentinelX.Node.Probes;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Storage;

namespace SentinelX.Node;

/// <summary>
/// The agent: a collector loop that appends one sample per interval to the outbox whether or not
/// the Core is reachable, and a connection loop that enrolls, connects, runs a
/// <see cref="NodeSession"/> and backs off between attempts. One token (SIGTERM/SIGINT) stops both.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "An agent runs once: RunAsync disposes _forwards and _probes when it returns, and _wake's semaphore never allocates a wait handle.")]
internal sealed class NodeAgent(NodeSettings settings, string agentVersion, Backoff? backoff = null, Backoff? joinBackoff = null)
{
    /// <summary>A connection that stayed up this long was healthy: the next failure starts backing off from scratch.</summary>
    private static readonly TimeSpan HealthyConnection = TimeSpan.FromSeconds(30);

    private readonly AsyncSignal _wake = new();
    private readonly Backoff _backoff = backoff ?? new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    /// <summary>How often a Node waiting for an administrator asks again: soon after an approval, rarely enough for the Core.</summary>
    private readonly Backoff _joinBackoff = joinBackoff ?? new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
    private int _joinPolls;
    private bool _keyForgotten;
    private SampleOutbox _outbox = null!;

    /// <summary>Forwards live as long as the agent, not a session: they keep running while the Core is away.</summary>
    private readonly ForwardEngine _forwards = new(settings);

    /// <summary>Probes too: their results wait in the runner's buffer for the next sample, Core or no Core.</summary>
    private readonly ProbeRunner _probes = new(settings);

    /// <summary>The capabilities the Core can call; each checks the Node's own allow list itself.</summary>
    private IReadOnlyList<INodeFeature> _features = [];
    private int _enrollFailures;

    // Samples are numbered from the Core's NextSeq (a reinstalled node continues above its old
    // numbers), so collection waits for an identity; with one on disk that is at once.
    private readonly TaskCompletionSource _enrolled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task RunAsync(CancellationToken ct)
    {
        // Its secret and its forwards' state are in there. No process umask: the Node creates files for
        // operators too. Files it adds later sit behind the 0700 directory, so only an open directory is news.
        var tightened = PrivateDirectory.Prepare(settings.DataDir);
        if (tightened.Contains(settings.DataDir))
            Log.Warn($"data directory {settings.DataDir} was open to other users; made it and {tightened.Count - 1} path(s) in it owner-only (0700/0600)");
        using var outbox = SampleOutbox.Open(Path.Combine(settings.DataDir, "outbox"), new OutboxOptions
        {
            MaxBytes = settings.OutboxMaxBytes,
            MaxAge = settings.OutboxMaxAge,
        });
        _outbox = outbox;
        await using var forwards = _forwards;
        await using var probes = _probes;
        Log.Info($"sentinelx-node {agentVersion} starting: core {settings.Core}, data {settings.DataDir}, every {settings.SampleIntervalMs} ms, next seq {outbox.NextSeq}");

        // Restored before connecting: a Node whose Core is unreachable still forwards.
        try
        {
            await _forwards.StartAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }

        _probes.Start();
        _features = RemoteFeatures.Create(settings, _forwards, _probes);
        var collect = CollectLoopAsync(ct);
        var connect = ConnectLoopAsync(ct);
        await Task.WhenAll(collect, connect);
        Log.Info("stopped");
    }

    private async Task CollectLoopAsync(CancellationToken ct)
    {
        try
        {
            await _enrolled.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var collector = new MetricsCollector();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.SampleIntervalMs));
        string? lastError = null;
        try
        {
            do
            {
                try
                {
                    _probes.Results.AppendTo(_outbox, collector.Collect(_outbox.NextSeq, DateTimeOffset.UtcNow));
                    _wake.Set();
                    if (lastError is not null) Log.Info("collecting samples works again");
                    lastError = null;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Disk full or read-only: say so once, not every second, and keep trying.
                    if (lastError != ex.Message) Log.Error("cannot store a sample", ex);
                    lastError = ex.Message;
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ConnectLoopAsync(CancellationToken ct)
    {
        var systemInfo = new SystemInfoCollector(agentVersion);
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var identity = await EnsureIdentityAsync(ct);
                if (identity is null) continue; // already waited

                using var socket = await ConnectAsync(identity, ++failures, ct);
                if (socket is null) continue; // already logged and waited

                failures = 0;
                var started = Environment.TickCount64;
                var streams = new StreamDialer(settings.Core, identity.NodeId, identity.Secret);
                var reason = await new NodeSession(settings, _outbox, systemInfo, _wake, agentVersion, streams, _features).RunAsync(socket, ct);
                if (ct.IsCancellationRequested) break;
                if (Environment.TickCount64 - started >= HealthyConnection.TotalMilliseconds) _backoff.Reset();
                var delay = _backoff.Next();
                Log.Warn($"disconnected: {reason}; reconnecting in {delay.TotalSeconds:0.0} s");
                await Task.Delay(delay, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Whatever went wrong in one session, the Node keeps coming back: a Node that stops
                // reconnecting can only be fixed by someone logging in to the server.
                var delay = _backoff.Next();
                Log.Error($"session failed: {ex.GetType().Name}: {ex.Message}; reconnecting in {delay.TotalSeconds:0.0} s", ex);
                await Task.Delay(delay, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The control connection to the Core; null after a failed attempt, which is logged and backed off here.</summary>
    private async Task<WebSocket?> ConnectAsync(NodeIdentity identity, int attempt, CancellationToken ct)
    {
        KeyValuePair<string, string>[] headers =
        [
            new(ProtocolInfo.NodeIdHeader, identity.NodeId),
            new("Authorization", "Bearer " + identity.Secret),
            new(ProtocolInfo.ProtocolHeader, ProtocolInfo.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ];
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(15));
            // No keep-alive frames: heartbeats do this job, with a timeout.
            return await CoreWebSocket.ConnectAsync(Enrollment.Endpoint(settings.Core, ProtocolInfo.WebSocketPath, webSocket: true), headers, TimeSpan.Zero, webProxy: null, connectTimeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            if (!ct.IsCancellationRequested) await OnConnectFailedAsync((ex as HttpRequestException)?.StatusCode ?? 0, ex, attempt, ct);
            return null;
        }
    }

    /// <summary>
    /// 401 means the Core does not know this id/secret (node deleted, database reset, or an
    /// administrator handed this node's record to a re-joining machine). We enroll again with the key
    /// when we have one: a Core that still has a record with this machine id files a join request an
    /// administrator must approve, so the key never takes a record over; every attempt is logged and
    /// backed off, so it never loops silently. 403 means an admin revoked the node: re-enrolling would
    /// undo that, so we only log and retry slowly in case the revocation is lifted.
    /// </summary>
    private async Task OnConnectFailedAsync(HttpStatusCode status, Exception ex, int failures, CancellationToken ct)
    {
        TimeSpan delay;
        if (status == HttpStatusCode.Unauthorized)
        {
            delay = _backoff.Next();
            if (settings.Key is not null)
            {
                NodeIdentity.Discard(settings.DataDir);
                Log.Error($"the Core rejected this node's identity (401: unknown node or wrong secret); enrolling again with the key in {delay.TotalSeconds:0.0} s");
            }
            else
            {
                Log.Error($"the Core rejected this node's identity (401: unknown node or wrong secret) and no enrollment key is set; retrying in {delay.TotalSeconds:0.0} s");
            }
        }
        else if (status == HttpStatusCode.Forbidden)
        {
            delay = _backoff.Max;
            Log.Error($"the Core refused this node (403: revoked); retrying in {delay.TotalSeconds:0} s");
        }
        else
        {
            delay = _backoff.Next();
            var what = status != 0 ? $"HTTP {(int)status}" : (ex.InnerException ?? ex).Message;
            // The first failures are worth a line each; after that one line a minute or so is enough.
            if (failures <= 3 || failures % 10 == 0)
                Log.Warn($"cannot connect to {settings.Core}: {what}; retrying in {delay.TotalSeconds:0.0} s (attempt {failures})");
        }

        await Task.Delay(delay, ct);
    }

    /// <summary>The stored identity, or a new one from enrolling; null after a failed attempt (and its backoff).</summary>
    private async Task<NodeIdentity?> EnsureIdentityAsync(CancellationToken ct)
    {
        var identity = NodeIdentity.Load(settings.DataDir);
        var sameCore = identity is not null && Uri.TryCreate(identity.Core, UriKind.Absolute, out var issued) && issued == settings.Core;
        if (identity is not null && (sameCore || settings.Key is null))
        {
            if (!sameCore) Log.Warn($"identity was issued by {identity.Core}, not {settings.Core}; using it anyway (no key to enroll with)");
            _enrolled.TrySetResult();
            ForgetKey();
            return identity;
        }

        if (settings.Key is null)
        {
            var wait = _backoff.Max;
            Log.Error($"not enrolled and no enrollment key set; set --key or SENTINELX_NODE_KEY (retrying in {wait.TotalSeconds:0} s)");
            await Task.Delay(wait, ct);
            return null;
        }

        var join = JoinTicket.Load(settings.DataDir);
        if (join is not null && join.Core != settings.Core.ToString())
        {
            JoinTicket.Delete(settings.DataDir);
            join = null;
        }

        if (join is { Rejected: true })
        {
            await StopAskingAsync(join, "earlier", ct);
            return null;
        }

        EnrollOutcome outcome;
        if (join is not null)
        {
            outcome = await Enrollment.PollAsync(settings.Core, join, ct);
        }
        else
        {
            if (identity is not null) Log.Info($"identity was issued by {identity.Core}; enrolling with {settings.Core}");
            var request = new EnrollRequest
            {
                MachineId = MachineId.Get(settings.DataDir),
                Hostname = Environment.MachineName,
                Name = settings.Name,
                ProtocolVersion = ProtocolInfo.Version,
                AgentVersion = agentVersion,
            };
            outcome = await Enrollment.EnrollAsync(settings.Core, settings.Key, request, ct);
        }

        if (outcome.Pending is { } pending)
        {
            await WaitForApprovalAsync(join, pending, ct);
            return null;
        }

        if (join is not null && outcome.Response is null && outcome.Status is { } status)
        {
            if (status == HttpStatusCode.Forbidden)
            {
                join = join with { Rejected = true };
                join.Save(settings.DataDir);
                await StopAskingAsync(join, outcome.Error, ct);
                return null;
            }

            if (status is HttpStatusCode.Gone or HttpStatusCode.NotFound)
            {
                // Expired, used or forgotten by the Core: file a new request.
                JoinTicket.Delete(settings.DataDir);
                var again = _backoff.Next();
                Log.Warn($"join request {join.RequestId} is no longer valid ({outcome.Error}); asking again in {again.TotalSeconds:0.0} s");
                await Task.Delay(again, ct);
                return null;
            }
        }

        if (outcome.Response is not { } response)
        {
            var delay = _backoff.Next();
            _enrollFailures++;
            if (outcome.Status is not null)
                Log.Error($"enrollment refused: {outcome.Error}; retrying in {delay.TotalSeconds:0.0} s");
            else if (_enrollFailures <= 3 || _enrollFailures % 10 == 0)
                Log.Warn($"enrollment failed: {outcome.Error}; retrying in {delay.TotalSeconds:0.0} s (attempt {_enrollFailures})");
            await Task.Delay(delay, ct);
            return null;
        }

        _enrollFailures = 0;
        identity = new NodeIdentity { NodeId = response.NodeId, Secret = response.Secret, Core = settings.Core.ToString() };
        identity.Save(settings.DataDir);
        if (join is not null) JoinTicket.Delete(settings.DataDir);
        _outbox.EnsureNextSeqAtLeast(response.NextSeq);
        _enrolled.TrySetResult();
        Log.Info(join is null
            ? $"enrolled with {settings.Core} as node {response.NodeId}"
            : $"an administrator approved this server's re-join: enrolled with {settings.Core} as node {response.NodeId}");
        ForgetKey();
        return identity;
    }

    /// <summary>The Core knows this machine id already: keep the ticket and ask again, with backoff, until an administrator decides.</summary>
    private async Task WaitForApprovalAsync(JoinTicket? join, EnrollPending pending, CancellationToken ct)
    {
        if (join is null)
        {
            if (string.IsNullOrEmpty(pending.Ticket))
            {
                var retry = _backoff.Next();
                Log.Error($"the Core filed join request {pending.RequestId} without a ticket to collect it with; retrying in {retry.TotalSeconds:0.0} s");
                await Task.Delay(retry, ct);
                return;
            }

            join = new JoinTicket { RequestId = pending.RequestId, Ticket = pending.Ticket, Core = settings.Core.ToString() };
            join.Save(settings.DataDir);
            _joinBackoff.Reset();
            _joinPolls = 0;
        }

        var wait = _joinBackoff.Next();
        if (_joinPolls++ % 20 == 0)
            Log.Warn($"waiting for an administrator to approve this server's re-join (request {join.RequestId}, expires {pending.ExpiresAt:u}); the Core already has a node with this machine id");
        await Task.Delay(wait, ct);
    }

    /// <summary>Rejected by an administrator: say so and ask nothing more (a restart does not ask again either).</summary>
    private static async Task StopAskingAsync(JoinTicket join, string? why, CancellationToken ct)
    {
        Log.Error($"an administrator rejected this server's request to re-join (request {join.RequestId}; {why}); not asking again. " +
                  "To ask anew, delete join.json in the Node's data directory and restart it");
        await Task.Delay(Timeout.Infinite, ct);
    }

    /// <summary>Once the Node has its own secret, the fleet key leaves the file it came from (the config, or DATA/enrollment.key).</summary>
    private void ForgetKey()
    {
        if (_keyForgotten || settings.KeyFile is not { } path || !File.Exists(path)) return;
        _keyForgotten = true;
        if (NodeFiles.ForgetKey(path, out var error))
            Log.Info($"removed the enrollment key from {path}: this Node authenticates with its own secret now");
        else
            Log.Warn($"cannot remove the enrollment key from {path} ({error}); remove it by hand, this Node no longer needs it");
    }
}
