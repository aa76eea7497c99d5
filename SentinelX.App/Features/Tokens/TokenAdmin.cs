using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Storage;
using SentinelX.App.Features.Users;

namespace SentinelX.App.Features.Tokens;

/// <summary>The API tokens page's actions: the same <see cref="TokenService"/> as the REST API, admins only.</summary>
public sealed class TokenAdmin(TokenService tokens, UserManager<SentinelUser> users, SentinelDb db, TimeProvider time, AuditLog audit, CircuitClient client)
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
        var (token, secret) = await tokens.CreateAsync(name, role, expiresAt, ct);
        await audit.RecordAsync(AuditActor.From(caller, client.Address), AuditActions.TokenCreate, null, token.Name, AuditResults.Ok, $"role {token.Role}, id {token.Id}", ct);
        return (token, secret);
    }

    /// <summary>Revokes a live token; false when it was already revoked or does not exist.</summary>
    public async Task<bool> RevokeAsync(ClaimsPrincipal caller, string id, CancellationToken ct)
    {
        await UserAdmin.DemandAdminAsync(db, users, caller);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var revoked = await db.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct) > 0;
        if (revoked)
        {
            var name = await db.ApiTokens.Where(t => t.Id == id).Select(t => t.Name).FirstOrDefaultAsync(ct) ?? id;
            await audit.RecordAsync(AuditActor.From(caller, client.Address), AuditActions.TokenRevoke, null, name, AuditResults.Ok, "id " + id, ct);
        }

        return revoked;
    }
}
