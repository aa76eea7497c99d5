using System.Collections.Concurrent;

namespace SentinelX.App.Features.Accounts;

/// <summary>The two steps of sign-in; each is throttled on its own, so passing one never resets the other.</summary>
public enum LoginStep
{
    Password,
    Code,
}

/// <summary>
/// Slows down guessing, per step (password, then code), on three records:
/// <list type="bullet">
/// <item>per client address (one client trying many accounts) and per account from one address: the
/// fifth failure in a row blocks for 30 s, each further one doubles the wait, up to 15 min;</item>
/// <item>per account from every address together: after 20 failures each try is answered more slowly
/// (<see cref="SlowdownFor"/>, at most 5 s) but never refused, so an attacker elsewhere can slow the
/// owner down but never lock them out.</item>
/// </list>
/// A success clears the address's and the account's records of that step. The client address is the
/// real one behind a known proxy (see <c>Proxies:Known</c>), never a header the client chose.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int FreeFailures = 5;
    public const int FreeAccountFailures = 20;
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan LongestSlowdown = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Forget = TimeSpan.FromHours(1);
    private const int MaxRecords = 10_000;

    private readonly ConcurrentDictionary<string, Record> records = new(StringComparer.Ordinal);

    private sealed record Record(int Failures, DateTimeOffset LastFailure, DateTimeOffset BlockedUntil);

    private readonly record struct Key(string Name, int Free, TimeSpan Longest);

    /// <summary>How long to hold a try for this account before checking it: zero until many addresses together failed.</summary>
    public TimeSpan SlowdownFor(LoginStep step, string userName)
    {
        var account = AccountKey(step, userName);
        if (!records.TryGetValue(account.Name, out var r) || time.GetUtcNow() - r.LastFailure > Forget) return TimeSpan.Zero;
        var over = r.Failures - FreeAccountFailures - 1;
        return over < 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(LongestSlowdown.Ticks, TimeSpan.FromMilliseconds(500).Ticks << Math.Min(over, 4)));
    }

    /// <summary>How long the caller must still wait, or null when a try is allowed now.</summary>
    public TimeSpan? RetryAfter(LoginStep step, string address, string userName)
    {
        var now = time.GetUtcNow();
        var wait = TimeSpan.Zero;
        foreach (var key in BlockingKeys(step, address, userName))
        {
            if (records.TryGetValue(key.Name, out var r) && r.BlockedUntil - now > wait)
                wait = r.BlockedUntil - now;
        }
        return wait > TimeSpan.Zero ? wait : null;
    }

    public void Failed(LoginStep step, string address, string userName)
    {
        var now = time.GetUtcNow();
        if (records.Count > MaxRecords) Prune(now);
        foreach (var key in (Key[])[.. BlockingKeys(step, address, userName), AccountKey(step, userName)])
        {
            records.AddOrUpdate(key.Name,
                _ => new Record(1, now, now + WaitAfter(1, key)),
                (_, r) =>
                {
                    var failures = now - r.LastFailure > Forget ? 1 : r.Failures + 1;
                    return new Record(failures, now, now + WaitAfter(failures, key));
                });
        }
    }

    public void Succeeded(LoginStep step, string address, string userName)
    {
        foreach (var key in (Key[])[.. BlockingKeys(step, address, userName), AccountKey(step, userName)]) records.TryRemove(key.Name, out _);
    }

    private static TimeSpan WaitAfter(int failures, Key key)
    {
        var over = failures - key.Free;
        return over < 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(key.Longest.Ticks, FirstWait.Ticks << Math.Min(over, 10)));
    }

    private static string Prefix(LoginStep step) => step == LoginStep.Password ? "pw|" : "code|";

    private static Key[] BlockingKeys(LoginStep step, string address, string userName) =>
    [
        new(Prefix(step) + "ip:" + address, FreeFailures, LongestWait),
        new(Prefix(step) + "pair:" + userName.ToUpperInvariant() + "\n" + address, FreeFailures, LongestWait),
    ];

    // Never blocks (its wait stays zero): it only feeds SlowdownFor.
    private static Key AccountKey(LoginStep step, string userName) => new(Prefix(step) + "user:" + userName.ToUpperInvariant(), int.MaxValue, TimeSpan.Zero);

    // Under a flood of distinct names and addresses: drop what is forgotten anyway, then what no
    // longer blocks, so memory stays bounded while the blocks that matter are kept.
    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, r) in records)
            if (now - r.LastFailure > Forget) records.TryRemove(key, out _);
        if (records.Count <= MaxRecords) return;
        foreach (var (key, r) in records)
            if (r.BlockedUntil <= now) records.TryRemove(key, out _);
    }
}
