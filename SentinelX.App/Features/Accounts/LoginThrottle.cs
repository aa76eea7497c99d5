using System.Collections.Concurrent;

namespace SentinelX.App.Features.Accounts;

/// <summary>
/// Slows down password guessing per client address and per user name: the fifth failure in a row
/// blocks for 30 s, and each further one doubles the wait, up to 15 min. A success clears the record.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int FreeFailures = 5;
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan Forget = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, Record> records = new(StringComparer.Ordinal);

    private sealed record Record(int Failures, DateTimeOffset LastFailure, DateTimeOffset BlockedUntil);

    /// <summary>How long the caller must still wait, or null when a try is allowed now.</summary>
    public TimeSpan? RetryAfter(string address, string userName)
    {
        var now = time.GetUtcNow();
        var wait = TimeSpan.Zero;
        foreach (var key in Keys(address, userName))
        {
            if (records.TryGetValue(key, out var r) && r.BlockedUntil > now && r.BlockedUntil - now > wait)
                wait = r.BlockedUntil - now;
        }
        return wait > TimeSpan.Zero ? wait : null;
    }

    public void Failed(string address, string userName)
    {
        var now = time.GetUtcNow();
        foreach (var key in Keys(address, userName))
        {
            records.AddOrUpdate(key,
                _ => new Record(1, now, FreeFailures <= 1 ? now + FirstWait : now),
                (_, r) =>
                {
                    var failures = now - r.LastFailure > Forget ? 1 : r.Failures + 1;
                    var over = failures - FreeFailures;
                    var wait = over < 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(LongestWait.Ticks, FirstWait.Ticks << Math.Min(over, 10)));
                    return new Record(failures, now, now + wait);
                });
        }
        if (records.Count > 10_000) Prune(now);
    }

    public void Succeeded(string address, string userName)
    {
        foreach (var key in Keys(address, userName)) records.TryRemove(key, out _);
    }

    private static string[] Keys(string address, string userName) => ["ip:" + address, "user:" + userName.ToUpperInvariant()];

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, r) in records)
            if (now - r.LastFailure > Forget) records.TryRemove(key, out _);
    }
}
