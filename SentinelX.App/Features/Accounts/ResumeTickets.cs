using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;

namespace SentinelX.App.Features.Accounts;

/// <summary>
/// Changing your own password or turning two-factor off gives the account a new security stamp, which
/// ends every session, this browser's included. The profile page runs in a circuit and cannot set a
/// cookie, so it hands the browser a short-lived, single-use ticket bound to the new stamp; the browser
/// brings it to <c>/account/resume</c>, which signs this browser in again.
/// </summary>
public sealed class ResumeTickets(IDataProtectionProvider protection, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    private readonly ITimeLimitedDataProtector protector =
        protection.CreateProtector("SentinelX.Accounts.Resume").ToTimeLimitedDataProtector();
    private readonly ConcurrentDictionary<string, DateTimeOffset> used = new(StringComparer.Ordinal);

    public string Issue(string userId, string stamp) =>
        protector.Protect($"{userId}\n{stamp}\n{Guid.NewGuid():N}", time.GetUtcNow() + Lifetime);

    /// <summary>The user the ticket belongs to, once; null for a forged, expired, reused or outdated ticket.</summary>
    public async Task<SentinelUser?> RedeemAsync(string ticket, UserManager<SentinelUser> users)
    {
        string plain;
        try
        {
            plain = protector.Unprotect(ticket, out _);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
        var now = time.GetUtcNow();
        foreach (var (key, at) in used)
            if (now - at > Lifetime) used.TryRemove(key, out _);
        if (!used.TryAdd(plain, now)) return null;
        var parts = plain.Split('\n');
        var user = parts.Length == 3 ? await users.FindByIdAsync(parts[0]) : null;
        return user is not null && await users.GetSecurityStampAsync(user) == parts[1] ? user : null;
    }
}
