using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Accounts;

/// <summary>
/// The long-lived things a signed-in user holds open (web terminals; circuits listen to
/// <see cref="Changed"/>). Each is registered with the security stamp and role it was opened under
/// and ends within seconds once the account no longer matches: deleted, another role, a new stamp
/// (password reset, two-factor reset, "sign out everywhere"). A change made in this process is
/// signalled at once; one made by another process (<c>sentinelx user …</c>) is found by the periodic check.
/// </summary>
public sealed partial class AccountSessions(IServiceScopeFactory scopes, AuditLog audit, TimeProvider time, ILogger<AccountSessions> logger)
    : BackgroundService
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Lease, byte> _leases = new();

    /// <summary>Raised with a user id after an in-process account change, so open circuits re-check at once.</summary>
    public event Action<string>? Changed;

    /// <summary>What a long stream was opened under; <paramref name="end"/> is called once, with the reason.</summary>
    public IDisposable Track(string userId, string userName, string? stamp, string? role, string what, Action<string> end)
    {
        var lease = new Lease(this, userId, userName, stamp, role, what, end);
        _leases[lease] = 0;
        return lease;
    }

    /// <summary>
    /// Whether a sign-in still matches the stored account, checked before opening a long stream: the
    /// cookie itself is re-checked only every <see cref="CheckInterval"/>.
    /// </summary>
    public async Task<bool> IsCurrentAsync(string userId, string? stamp, string? role, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
        return await db.Users.AsNoTracking().AnyAsync(u => u.Id == userId && u.SecurityStamp == stamp && u.Role == role, ct);
    }

    public int OpenFor(string userId) => _leases.Keys.Count(l => l.UserId == userId);

    /// <summary>An account was changed here: end what no longer matches now rather than at the next check.</summary>
    public async Task SignalAsync(string userId)
    {
        await CheckAsync(userId);
        Changed?.Invoke(userId);
    }

    /// <summary>Compares every open lease (or one user's) with the account as stored; ends the ones that no longer match.</summary>
    public async Task CheckAsync(string? onlyUserId = null, CancellationToken ct = default)
    {
        var leases = _leases.Keys.Where(l => onlyUserId is null || l.UserId == onlyUserId).ToList();
        if (leases.Count == 0) return;
        var ids = leases.Select(l => l.UserId).Distinct(StringComparer.Ordinal).ToList();
        Dictionary<string, (string? Stamp, string Role)> stored;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
            stored = (await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(u => new { u.Id, u.SecurityStamp, u.Role }).ToListAsync(ct))
                .ToDictionary(u => u.Id, u => (u.SecurityStamp, u.Role), StringComparer.Ordinal);
        }

        foreach (var group in leases.GroupBy(l => l.UserId))
        {
            var reason = !stored.TryGetValue(group.Key, out var now) ? "account deleted"
                : group.First().Role is { } role && role != now.Role ? "role changed to " + now.Role
                : null;
            var ended = new List<Lease>();
            foreach (var lease in group)
            {
                var why = reason ?? (lease.Stamp != now.Stamp ? "account changed" : null);
                if (why is not null && lease.End(why)) ended.Add(lease);
            }
            if (ended.Count == 0) continue;
            reason ??= "account changed";
            LogEnded(logger, ended[0].UserName, reason, ended.Count);
            await audit.RecordAsync(AuditActor.System, AuditActions.SessionEnd, null, ended[0].UserName, AuditResults.Ok,
                $"{reason}: ended {string.Join(", ", ended.Select(l => l.What))}", CancellationToken.None);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAsync(ct: stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCheckFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ended {Count} open session(s) of {User}: {Reason}")]
    private static partial void LogEnded(ILogger logger, string user, string reason, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking open sessions against their accounts failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception ex);

    private sealed class Lease(AccountSessions owner, string userId, string userName, string? stamp, string? role, string what, Action<string> end) : IDisposable
    {
        private int _ended;

        public string UserId { get; } = userId;
        public string UserName { get; } = userName;
        public string? Stamp { get; } = stamp;
        public string? Role { get; } = role;
        public string What { get; } = what;

        /// <summary>True the first time only.</summary>
        public bool End(string reason)
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0) return false;
            owner._leases.TryRemove(this, out _);
            end(reason);
            return true;
        }

        public void Dispose() => owner._leases.TryRemove(this, out _);
    }
}
