using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;

namespace SentinelX.App.Features.Accounts;

/// <summary>
/// Changing your own password or turning two-factor off gives the account a new security stamp, which
/// ends every session, this browser's included. The profile page runs in a circuit and cannot set a
/// cookie, so it hands the browser a short-lived, single-use ticket bound to the new stamp; the browser
/// brings it to <c>/account/resume</c>, which signs this browser in again. The ticket names the
/// session it was issued to (user and the stamp before the change), and only a browser that still
/// carries that session's cookie can redeem it: a ticket sent to someone else's browser cannot
/// switch it into the issuer's account (login CSRF).
/// </summary>
public sealed class ResumeTickets(IDataProtectionProvider protection, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    private readonly ITimeLimitedDataProtector protector =
        protection.CreateProtector("SentinelX.Accounts.Resume").ToTimeLimitedDataProtector();
    private readonly ConcurrentDictionary<string, DateTimeOffset> used = new(StringComparer.Ordinal);

    public string Issue(string userId, string stamp, string? previousStamp) =>
        protector.Protect($"{userId}\n{stamp}\n{previousStamp}\n{Guid.NewGuid():N}", time.GetUtcNow() + Lifetime);

    /// <summary>
    /// The user the ticket belongs to, once; null for a forged, expired, reused or outdated ticket, or
    /// when <paramref name="browserUserId"/>/<paramref name="browserStamp"/> (read from the browser's
    /// sign-in cookie, even an outdated one) are not the session the ticket was issued to.
    /// </summary>
    public async Task<SentinelUser?> RedeemAsync(string ticket, UserManager<SentinelUser> users, string? browserUserId, string? browserStamp)
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
        var parts = plain.Split('\n');
        if (parts.Length != 4 || browserUserId != parts[0] || string.IsNullOrEmpty(browserStamp) || browserStamp != parts[2]) return null;
        var now = time.GetUtcNow();
        foreach (var (key, at) in used)
            if (now - at > Lifetime) used.TryRemove(key, out _);
        if (!used.TryAdd(plain, now)) return null;
        var user = await users.FindByIdAsync(parts[0]);
        return user is not null && await users.GetSecurityStampAsync(user) == parts[1] ? user : null;
    }
}
