using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Auth;

/// <summary>Creates, finds and revokes API tokens. Used by the REST API and by <c>sentinelx token create</c>.</summary>
public sealed class TokenService(SentinelDb db, TimeProvider time)
{
    public const string Prefix = "sxt_";

    /// <summary>Creates a token and returns it with the plain secret, which is never stored.</summary>
    public async Task<(ApiToken Token, string Secret)> CreateAsync(string name, string role, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        if (ValidateName(name) is { } nameError) throw new ArgumentException(nameError, nameof(name));
        if (!Roles.IsValid(role)) throw new ArgumentException($"role must be one of: {string.Join(", ", Roles.All)}", nameof(role));
        if (expiresAt is { } e && e <= time.GetUtcNow()) throw new ArgumentException("expiresAt must be in the future", nameof(expiresAt));

        var secret = SecretText.New(Prefix);
        var token = new ApiToken
        {
            Id = SecretText.New("", 8),
            Name = name.Trim(),
            Role = role,
            TokenHash = SecretText.Hash(secret),
            Prefix = secret[..(Prefix.Length + 6)],
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
            ExpiresAt = expiresAt?.ToUnixTimeMilliseconds(),
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return (token, secret);
    }

    /// <summary>Finds the live (not revoked, not expired) token a presented secret belongs to.</summary>
    public async Task<ApiToken?> FindLiveAsync(string secret, CancellationToken ct)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal) || secret.Length > 128) return null;
        var hash = SecretText.Hash(secret);
        var token = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (token is null || token.RevokedAt is not null || token.ExpiresAt <= now) return null;
        return token;
    }

    public static string? ValidateName(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > 64 ? "name must be 1 to 64 characters" : null;
}
