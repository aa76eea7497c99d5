using System.Collections.Concurrent;
using SentinelX.App.Features.Audit;

namespace SentinelX.App.Features.Accounts;

/// <summary>
/// Sign-ins in the audit log. Failures are what an attacker controls, so each address gets at most
/// <see cref="RowsPerMinute"/> rows a minute; the rest of that minute is one summary row with a count,
/// and a flood cannot fill the database.
/// </summary>
public sealed class SignInAudit(AuditLog audit, TimeProvider time)
{
    public const int RowsPerMinute = 10;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxAddresses = 10_000;

    private readonly ConcurrentDictionary<string, Counter> _windows = new(StringComparer.Ordinal);

    private sealed class Counter(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Rows;
        public int Suppressed;
    }

    public Task SucceededAsync(string userName, string? address, string how) =>
        audit.RecordAsync(new AuditActor(userName, "user", address), AuditActions.SignIn, null, userName, AuditResults.Ok, how);

    public Task RecoveryCodeUsedAsync(string userName, string? address, int left) =>
        audit.RecordAsync(new AuditActor(userName, "user", address), AuditActions.RecoveryCodeUse, null, userName, AuditResults.Ok, $"{left} recovery codes left");

    /// <summary>A failed try; <paramref name="reason"/> is "wrong password", "wrong code", "locked", …</summary>
    public Task FailedAsync(string userName, string? address, string reason) =>
        LimitedAsync(address, AuditActions.SignInFailed, userName, AuditResults.Refused, reason);

    /// <summary>The throttle or Identity started blocking this account or address.</summary>
    public Task LockedOutAsync(string userName, string? address, string detail) =>
        LimitedAsync(address, AuditActions.Lockout, userName, AuditResults.Refused, detail);

    private async Task LimitedAsync(string? address, string action, string userName, string result, string detail)
    {
        var now = time.GetUtcNow();
        var key = address ?? "";
        if (_windows.Count > MaxAddresses)
        {
            foreach (var (k, c) in _windows)
                if (now - c.Start > Window && c.Suppressed == 0) _windows.TryRemove(k, out _);
        }

        var counter = _windows.GetOrAdd(key, _ => new Counter(now));
        var previouslySuppressed = 0;
        bool write, firstSuppressed;
        lock (counter)
        {
            if (now - counter.Start >= Window)
            {
                previouslySuppressed = counter.Suppressed;
                counter.Start = now;
                counter.Rows = 0;
                counter.Suppressed = 0;
            }
            write = counter.Rows < RowsPerMinute;
            if (write) counter.Rows++;
            else counter.Suppressed++;
            firstSuppressed = counter.Suppressed == 1 && !write;
        }

        var actor = new AuditActor(userName, "user", address);
        if (previouslySuppressed > 0)
            await audit.RecordAsync(actor, AuditActions.SignInFailed, null, "(summary)", AuditResults.Refused,
                $"{previouslySuppressed} more failed sign-ins or lockouts from this address in the minute before were not recorded one by one");
        if (write) await audit.RecordAsync(actor, action, null, userName, result, detail);
        else if (firstSuppressed)
            await audit.RecordAsync(actor, AuditActions.SignInFailed, null, "(summary)", AuditResults.Refused,
                $"more than {RowsPerMinute} failed sign-ins from this address within a minute; the rest of the minute is counted, not recorded one by one");
    }
}
