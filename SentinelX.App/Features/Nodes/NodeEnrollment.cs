using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Nodes;

/// <summary>What enrollment answers: a new identity, a join request to wait on, or a refusal.</summary>
public abstract record EnrollDecision
{
    public sealed record Enrolled(EnrollResponse Response) : EnrollDecision;

    public sealed record Waiting(EnrollPending Pending) : EnrollDecision;

    public sealed record Refused(int Status, string Title, string Detail) : EnrollDecision;
}

/// <summary>A pending join request as admins see it: "tokyo asks to re-join as node k3x9… from 203.0.113.5".</summary>
public sealed record JoinRequestView(
    string Id, string NodeId, string NodeName, string Name, string Hostname, string? RemoteAddress,
    string AgentVersion, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Enrollment that proves identity. The fleet key only ever creates a new Node: a machine whose id
/// matches an existing record (a reinstall that lost its data, or anyone who read or guessed that
/// machine id) gets a join request that an administrator approves or rejects. Until then the
/// existing Node keeps its secret and its session.
/// </summary>
public sealed class NodeEnrollment(
    IDbContextFactory<SentinelDb> dbFactory, NodeRegistry registry, MetricsQuery metrics, AuditLog audit,
    TimeProvider time, ILogger<NodeEnrollment> logger) : IDisposable
{
    public static readonly TimeSpan RequestLifetime = TimeSpan.FromHours(24);

    /// <summary>Unanswered requests the Core keeps at once; more are refused (429) so the table cannot be flooded.</summary>
    public const int MaxPending = 50;

    public const int MaxPendingPerMachine = 3;

    /// <summary>Decided and expired requests stay this long (for the audit trail's context), then go.</summary>
    private static readonly TimeSpan KeepDecided = TimeSpan.FromDays(7);

    private readonly SemaphoreSlim _lock = new(1, 1);

    // Refusals come from anyone who can reach the Core: a flood must not fill the disk with audit rows.
    private readonly RefusalThrottle _refusals = new(time, 20, TimeSpan.FromMinutes(1));

    /// <summary>An enrollment with a valid key (<paramref name="request"/> already validated).</summary>
    public async Task<EnrollDecision> EnrollAsync(EnrollRequest request, string? address, CancellationToken ct)
    {
        var name = (request.Name ?? request.Hostname).Trim();
        var actor = new AuditActor(name, "node", address);
        await _lock.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = time.GetUtcNow();
            var record = await db.Nodes.FirstOrDefaultAsync(n => n.MachineId == request.MachineId, ct);
            if (record is { Revoked: true })
            {
                await RecordRefusedAsync(actor, AuditActions.NodeEnroll, record.Id, name, "node is revoked");
                return new EnrollDecision.Refused(403, "Node revoked", $"node {record.Id} was revoked by an administrator; it cannot enroll again from this machine");
            }

            if (record is null)
            {
                var secret = SecretText.New("sxn_");
                record = new NodeRecord
                {
                    Id = SecretText.New("", 8)[..12],
                    Name = name,
                    MachineId = request.MachineId,
                    SecretHash = SecretText.Hash(secret),
                    CreatedAt = now.ToUnixTimeMilliseconds(),
                    AgentVersion = request.AgentVersion,
                    RemoteAddress = address,
                };
                db.Nodes.Add(record);
                await db.SaveChangesAsync(ct);
                registry.Add(record);
                logger.LogInformation("Node {Node} ({Name}) enrolled from {Address}", record.Id, record.Name, address);
                await audit.RecordAsync(actor, AuditActions.NodeEnroll, record.Id, name, AuditResults.Ok, $"new node from {address ?? "an unknown address"}", ct);
                return new EnrollDecision.Enrolled(new EnrollResponse { NodeId = record.Id, Secret = secret, NextSeq = 1 });
            }

            return await RequestJoinAsync(db, record, request, name, actor, now, ct);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<EnrollDecision> RequestJoinAsync(SentinelDb db, NodeRecord record, EnrollRequest request, string name, AuditActor actor,
        DateTimeOffset now, CancellationToken ct)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var liveSince = nowMs - (long)RequestLifetime.TotalMilliseconds;
        await db.NodeJoinRequests.Where(r => r.CreatedAt < liveSince - (long)KeepDecided.TotalMilliseconds).ExecuteDeleteAsync(ct);

        var pending = db.NodeJoinRequests.Where(r => r.State == JoinStates.Pending && r.CreatedAt >= liveSince);
        if (await pending.CountAsync(r => r.MachineId == request.MachineId, ct) >= MaxPendingPerMachine || await pending.CountAsync(ct) >= MaxPending)
        {
            await RecordRefusedAsync(actor, AuditActions.NodeRejoinRequest, record.Id, name, "too many join requests waiting");
            return new EnrollDecision.Refused(429, "Too many join requests",
                "too many requests to re-join are waiting for an administrator; approve or reject them in the Core, or wait until they expire (24 h)");
        }

        var ticket = SecretText.New("sxj_");
        var join = new NodeJoinRequest
        {
            Id = SecretText.New("", 10)[..16],
            NodeId = record.Id,
            MachineId = request.MachineId,
            Name = name,
            Hostname = request.Hostname.Trim(),
            RemoteAddress = actor.Address,
            AgentVersion = request.AgentVersion,
            TicketHash = SecretText.Hash(ticket),
            CreatedAt = nowMs,
            State = JoinStates.Pending,
        };
        db.NodeJoinRequests.Add(join);
        await db.SaveChangesAsync(ct);
        logger.LogWarning("{Name} asks to re-join as node {Node} ({NodeName}) from {Address}: request {Request} waits for an administrator",
            name, record.Id, record.Name, actor.Address, join.Id);
        await audit.RecordAsync(actor, AuditActions.NodeRejoinRequest, record.Id, $"{name} as {record.Name}", AuditResults.Ok,
            $"request {join.Id} from {actor.Address ?? "an unknown address"}; waiting for an administrator", ct);
        return new EnrollDecision.Waiting(new EnrollPending { RequestId = join.Id, Ticket = ticket, ExpiresAt = now + RequestLifetime });
    }

    /// <summary>A waiting machine asks how its request stands; the ticket proves it is the machine that asked.</summary>
    public async Task<EnrollDecision> PollAsync(string requestId, string? ticket, CancellationToken ct)
    {
        if (requestId.Length is 0 or > 64 || string.IsNullOrEmpty(ticket)) return UnknownRequest();
        await _lock.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var join = await db.NodeJoinRequests.FirstOrDefaultAsync(r => r.Id == requestId, ct);
            if (join is null || !SecretText.Matches(ticket, join.TicketHash)) return UnknownRequest();

            var now = time.GetUtcNow();
            switch (join.State)
            {
                case JoinStates.Rejected:
                    return new EnrollDecision.Refused(403, "Re-join rejected",
                        $"an administrator rejected this server's request to re-join as node {join.NodeId}; nothing more will be tried");
                case JoinStates.Completed:
                    return Expired("was already used");
                case JoinStates.Pending when IsExpired(join.CreatedAt, now):
                    return Expired("expired unanswered");
                case JoinStates.Pending:
                    return new EnrollDecision.Waiting(new EnrollPending { RequestId = join.Id, ExpiresAt = ExpiresAt(join.CreatedAt) });
                case JoinStates.Approved when IsExpired(join.DecidedAt ?? join.CreatedAt, now):
                    return Expired("was approved but not collected in time");
            }

            // Approved: hand over the record with a fresh secret, once.
            var record = await db.Nodes.FirstOrDefaultAsync(n => n.Id == join.NodeId, ct);
            if (record is null) return new EnrollDecision.Refused(410, "Node removed", $"node {join.NodeId} was removed after the request was approved; enroll again to join as a new node");
            if (record.Revoked) return new EnrollDecision.Refused(403, "Node revoked", $"node {record.Id} was revoked by an administrator");

            var secret = SecretText.New("sxn_");
            record.SecretHash = SecretText.Hash(secret);
            record.AgentVersion = join.AgentVersion;
            join.State = JoinStates.Completed;
            await db.SaveChangesAsync(ct);
            var lastSeq = await metrics.GetLastStoredSeqAsync(record.Id, ct);
            var state = registry.Find(record.Id) ?? registry.Add(record);
            state.SecretHash = record.SecretHash;
            state.Session?.Peer.Abort();
            logger.LogInformation("Node {Node} ({Name}) re-joined from {Address} after approval", record.Id, record.Name, join.RemoteAddress);
            return new EnrollDecision.Enrolled(new EnrollResponse { NodeId = record.Id, Secret = secret, NextSeq = Math.Max(lastSeq, state.LastStoredSeq) + 1 });
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Requests waiting for an administrator, oldest first.</summary>
    public async Task<IReadOnlyList<JoinRequestView>> PendingAsync(CancellationToken ct)
    {
        var liveSince = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)RequestLifetime.TotalMilliseconds;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.NodeJoinRequests.AsNoTracking()
            .Where(r => r.State == JoinStates.Pending && r.CreatedAt >= liveSince)
            .OrderBy(r => r.CreatedAt).ToListAsync(ct);
        return rows.Select(r => new JoinRequestView(r.Id, r.NodeId, registry.Find(r.NodeId)?.Name ?? r.NodeId, r.Name, r.Hostname, r.RemoteAddress,
            r.AgentVersion, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), ExpiresAt(r.CreatedAt))).ToList();
    }

    /// <summary>
    /// Lets the waiting machine take over the node's record: the old secret stops working and the
    /// old session ends now; the machine collects a fresh secret on its next poll. Null when done.
    /// </summary>
    public Task<EnrollDecision.Refused?> ApproveAsync(string id, AuditActor actor, CancellationToken ct) => DecideAsync(id, approve: true, actor, ct);

    /// <summary>Refuses the request; the machine is told so and stops asking. Null when done.</summary>
    public Task<EnrollDecision.Refused?> RejectAsync(string id, AuditActor actor, CancellationToken ct) => DecideAsync(id, approve: false, actor, ct);

    private async Task<EnrollDecision.Refused?> DecideAsync(string id, bool approve, AuditActor actor, CancellationToken ct)
    {
        var action = approve ? AuditActions.NodeRejoinApprove : AuditActions.NodeRejoinReject;
        await _lock.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var join = id.Length is > 0 and <= 64 ? await db.NodeJoinRequests.FirstOrDefaultAsync(r => r.Id == id, ct) : null;
            if (join is null) return new EnrollDecision.Refused(404, "Join request not found", $"no join request with id {id}");
            var now = time.GetUtcNow();
            if (join.State != JoinStates.Pending || IsExpired(join.CreatedAt, now))
            {
                var state = join.State == JoinStates.Pending ? "expired" : join.State;
                return new EnrollDecision.Refused(409, "Join request not pending", $"join request {id} is {state}; only a pending request can be approved or rejected");
            }

            var record = await db.Nodes.FirstOrDefaultAsync(n => n.Id == join.NodeId, ct);
            if (approve && record is null)
                return new EnrollDecision.Refused(409, "Node removed", $"node {join.NodeId} no longer exists; reject the request, and the machine can enroll as a new node");

            join.State = approve ? JoinStates.Approved : JoinStates.Rejected;
            join.DecidedAt = now.ToUnixTimeMilliseconds();
            join.DecidedBy = actor.Name;
            if (approve)
            {
                // Nobody knows this secret: the Node that had the record is out from this moment.
                record!.SecretHash = SecretText.Hash(SecretText.New("sxn_"));
            }

            await db.SaveChangesAsync(ct);
            if (approve && registry.Find(record!.Id) is { } live)
            {
                live.SecretHash = record.SecretHash;
                live.Session?.Peer.Abort();
            }

            logger.LogInformation("Join request {Request} ({Name} as node {Node}) {Decision} by {Actor}", join.Id, join.Name, join.NodeId,
                approve ? "approved" : "rejected", actor.Name);
            await audit.RecordAsync(actor, action, join.NodeId, $"{join.Name} as {record?.Name ?? join.NodeId}", AuditResults.Ok,
                $"request {join.Id} from {join.RemoteAddress ?? "an unknown address"}", ct);
            return null;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Audits a refused enrollment, at most a few a minute: the rest are counted and summed up in the next row.</summary>
    public async Task RecordRefusedAsync(AuditActor actor, string action, string? nodeId, string target, string reason)
    {
        if (!_refusals.TryTake(out var suppressed)) return;
        var detail = suppressed > 0 ? $"{reason} ({suppressed} more refusals not recorded)" : reason;
        await audit.RecordAsync(actor, action, nodeId, target, AuditResults.Refused, detail);
    }

    private static bool IsExpired(long sinceMs, DateTimeOffset now) => now.ToUnixTimeMilliseconds() - sinceMs > (long)RequestLifetime.TotalMilliseconds;

    private static DateTimeOffset ExpiresAt(long createdAt) => DateTimeOffset.FromUnixTimeMilliseconds(createdAt) + RequestLifetime;

    private static EnrollDecision.Refused UnknownRequest() =>
        new(404, "Unknown join request", "no join request with this id and ticket; enroll again with the key");

    private static EnrollDecision.Refused Expired(string why) =>
        new(410, "Join request expired", $"this join request {why}; enroll again with the key to ask anew");

    public void Dispose() => _lock.Dispose();
}

/// <summary>At most <c>limit</c> takes per window; counts what it refused so the next take can say so.</summary>
internal sealed class RefusalThrottle(TimeProvider time, int limit, TimeSpan window)
{
    private readonly Lock _gate = new();
    private long _windowStart = long.MinValue;
    private int _taken;
    private int _suppressed;

    public bool TryTake(out int suppressedBefore)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_windowStart == long.MinValue || time.GetElapsedTime(_windowStart, now) >= window)
            {
                _windowStart = now;
                _taken = 0;
            }

            suppressedBefore = 0;
            if (_taken >= limit)
            {
                _suppressed++;
                return false;
            }

            _taken++;
            suppressedBefore = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
