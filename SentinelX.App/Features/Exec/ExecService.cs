using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Exec;

/// <summary>
/// Runs commands on Nodes: checks both locks, stores the run, sends <c>exec.start</c>, collects the
/// output the Node streams back and finishes the run on <c>exec.exit</c>, on disconnect, or at a
/// deadline of its timeout plus <see cref="ExitSlack"/> (a Node that never answers cannot leave a
/// run "running" forever). Every start, refusal and cancel is audited.
/// </summary>
public sealed class ExecService(
    NodeRegistry registry, IDbContextFactory<SentinelDb> dbFactory, AuditLog audit, TimeProvider time, ILogger<ExecService> logger)
    : INodeSessionHandlers
{
    private static readonly TimeSpan ExitSlack = TimeSpan.FromSeconds(15);
    private readonly ConcurrentDictionary<string, LiveExecRun> _live = new(StringComparer.Ordinal);

    /// <summary>A run still in progress, for watchers; null once it ended.</summary>
    public LiveExecRun? FindLive(string runId) => _live.GetValueOrDefault(runId);

    /// <summary>Raised when any run starts or ends, so history lists can refresh.</summary>
    public event Action<string>? RunsChanged;

    public void Register(JsonRpcMethods methods, NodeState node) => methods
        .OnNotification(Methods.ExecOutput, ProtocolJsonContext.Default.ExecOutput, (output, _) =>
        {
            // Another Node's run id is ignored: a Node only reports its own runs.
            if (_live.TryGetValue(output.RunId, out var run) && run.NodeId == node.Id) run.Append(output.Stream, output.Data);
            return ValueTask.CompletedTask;
        })
        .OnNotification(Methods.ExecExit, ProtocolJsonContext.Default.ExecExit, async (exit, _) =>
        {
            if (_live.TryGetValue(exit.RunId, out var run) && run.NodeId == node.Id) await FinishAsync(run, exit);
        });

    /// <summary>Starts <paramref name="request"/> on <paramref name="node"/>; the run's <see cref="LiveExecRun.Completion"/> says how it ended.</summary>
    public async Task<NodeResult<LiveExecRun>> StartAsync(
        NodeState node, ExecRequest request, AuditActor actor, string? batchId = null, CancellationToken ct = default)
    {
        if (CapabilityLocks.Check(node, Capabilities.Exec) is { } refusal)
        {
            await audit.RecordAsync(actor, AuditActions.ExecRun, node.Id, request.Command, AuditResults.Refused, $"lock {refusal.Lock}: {refusal.Title}", ct);
            return refusal;
        }

        var session = node.Session;
        var record = new ExecRun
        {
            Id = NewId(),
            BatchId = batchId,
            NodeId = node.Id,
            Command = request.Command,
            RunAs = request.RunAs ?? "",
            WorkingDirectory = request.WorkingDirectory ?? "",
            TimeoutSeconds = request.Timeout,
            RequestedBy = actor.Name,
            StartedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
            Status = ExecStatuses.Running,
        };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.ExecRuns.Add(record);
            await db.SaveChangesAsync(ct);
        }

        // Registered before the request goes out: output can arrive before the answer does.
        var run = new LiveExecRun(record, node.Name, actor);
        _live[record.Id] = run;
        var started = session is null ? NodeFailure.Offline(node) : await node.RequestAsync(Capabilities.Exec, Methods.ExecStart, request.ToParams(record.Id),
            ProtocolJsonContext.Default.ExecStartParams, ProtocolJsonContext.Default.ExecStartResult, null, CancellationToken.None);
        if (started.Failure is { } failure)
        {
            await FinishAsync(run, new ExecExit { RunId = record.Id, Status = ExecStatuses.Failed, Error = failure.Detail },
                failure.Kind == NodeFailureKind.NodeLock ? AuditResults.Refused : AuditResults.Failed, actor);
            return failure;
        }

        logger.LogInformation("Exec {Run} started on {Node} by {Actor}", record.Id, node.Id, actor.Name);
#pragma warning disable CA2000 // disposed by the continuation below once the run completes
        var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(request.Timeout) + ExitSlack);
#pragma warning restore CA2000
        var peer = session!.Peer;
        var onDeadline = deadline.Token.Register(() => _ = FinishAsync(run,
            new ExecExit { RunId = record.Id, Status = ExecStatuses.Failed, Error = "the node did not report the end of the run" }));
        var onDisconnect = peer.Closed.Register(() => _ = FinishAsync(run,
            new ExecExit { RunId = record.Id, Status = ExecStatuses.Failed, Error = "node disconnected" }));
        _ = run.Completion.ContinueWith(_ =>
        {
            onDeadline.Dispose();
            onDisconnect.Dispose();
            deadline.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        RunsChanged?.Invoke(node.Id);
        return run;
    }

    /// <summary>Kills a running command's process group. Null when sent; else why not.</summary>
    public async Task<NodeFailure?> CancelAsync(string runId, AuditActor actor, CancellationToken ct = default)
    {
        if (!_live.TryGetValue(runId, out var run))
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.ExecRuns.AnyAsync(r => r.Id == runId, ct)
                ? NodeFailure.Conflict("Run already finished", $"run {runId} is not running any more")
                : RunNotFound(runId);
        }

        var target = run.Record.Command;
        if (registry.Find(run.NodeId) is not { } node) return NodeFailure.UnknownNode(run.NodeId);
        if (CapabilityLocks.Check(node, Capabilities.Exec) is { } refusal)
        {
            await audit.RecordAsync(actor, AuditActions.ExecCancel, node.Id, target, AuditResults.Refused, $"lock {refusal.Lock}: {refusal.Title}", ct);
            return refusal;
        }

        var sent = await node.RequestAsync(Capabilities.Exec, Methods.ExecCancel, new ExecCancelParams { RunId = runId },
            ProtocolJsonContext.Default.ExecCancelParams, ProtocolJsonContext.Default.ExecCancelResult, null, CancellationToken.None);
        if (sent.Failure is { } failure)
        {
            // The Node no longer knows the run: it ended between the check above and the cancel.
            if (failure.Kind == NodeFailureKind.NotFound) failure = NodeFailure.Conflict("Run already finished", $"run {runId} ended before the cancel arrived");
            await audit.RecordAsync(actor, AuditActions.ExecCancel, node.Id, target, AuditResults.Failed, failure.Detail, ct);
            return failure;
        }

        await audit.RecordAsync(actor, AuditActions.ExecCancel, node.Id, target, AuditResults.Ok, $"run {runId}", ct);
        return null;
    }

    /// <summary>Runs newest first, without output.</summary>
    public async Task<IReadOnlyList<ExecRunSummary>> HistoryAsync(string nodeId, int limit, long? before, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.ExecRuns.AsNoTracking().Where(r => r.NodeId == nodeId);
        if (before is { } b) q = q.Where(r => r.StartedAt < b);
        return await q.OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.Id).Take(Math.Clamp(limit, 1, 500))
            .Select(r => new ExecRunSummary(r.Id, r.BatchId, r.NodeId, r.Command, r.RunAs, r.WorkingDirectory, r.TimeoutSeconds,
                r.RequestedBy, r.StartedAt, r.FinishedAt, r.Status, r.ExitCode, r.DurationMs, r.Truncated, r.Error))
            .ToListAsync(ct);
    }

    public async Task<ExecRun?> FindAsync(string runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ExecRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, ct);
    }

    private Task FinishAsync(LiveExecRun run, ExecExit exit) =>
        FinishAsync(run, exit, exit.Status is ExecStatuses.Exited or ExecStatuses.Cancelled ? AuditResults.Ok : AuditResults.Failed,
            run.Actor);

    private async Task FinishAsync(LiveExecRun run, ExecExit exit, string result, AuditActor actor)
    {
        if (!run.TryClaimFinish()) return;
        var record = run.Record;
        run.Fill(exit, time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            db.ExecRuns.Update(record);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException)
        {
            logger.LogError(ex, "Exec run {Run} not stored", record.Id);
        }
        finally
        {
            _live.TryRemove(record.Id, out _);
            run.Complete();
        }

        var detail = record.Status switch
        {
            ExecStatuses.Exited => $"exit {record.ExitCode} in {record.DurationMs} ms",
            ExecStatuses.Timeout => $"timeout after {record.TimeoutSeconds} s",
            ExecStatuses.Cancelled => $"cancelled after {record.DurationMs} ms",
            _ => "failed: " + record.Error,
        };
        if (record.Truncated) detail += " (output cut at 1 MiB)";
        await audit.RecordAsync(actor, AuditActions.ExecRun, record.NodeId, record.Command, result, detail);
        RunsChanged?.Invoke(record.NodeId);
    }

    public static NodeFailure RunNotFound(string runId) => new(NodeFailureKind.NotFound, "Run not found", $"there is no run with id {runId}");

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
