using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Storage;
using SentinelX.App.Features.Users;

namespace SentinelX.App.Features.Tokens;

/// <summary>The API tokens page's actions: the same <see cref="TokenService"/> as the REST API, admins only.</summary>
public sealed class TokenAdmin(TokenService tokens, UserManager<SentinelUser> users, SentinelDb db, TimeProvider time)
{
    public async Task<IReadOnlyList<ApiToken>> ListAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        await UserAdmin.DemandAdminAsync(db, users, caller);
        return await db.ApiTokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync(ct);
    }

    /// <summary>Creates a token; throws <see cref="ArgumentException"/> for a bad name, role or expiry.</summary>
    public async Task<(ApiToken Token, string Secret)> CreateAsync(ClaimsPrincipal caller, string name, string role, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        await UserAdmin.DemandAdminAsync(db, users, caller);
        return await tokens.CreateAsync(name, role, expiresAt, ct);
    }

    /// <summary>Revokes a live token; false when it was already revoked or does not exist.</summary>
    public async Task<bool> RevokeAsync(ClaimsPrincipal caller, string id, CancellationToken ct)
    {
        await UserAdmin.DemandAdminAsync(db, users, caller);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return await db.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct) > 0;
    }
}
