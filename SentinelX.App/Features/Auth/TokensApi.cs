using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Auth;

/// <summary><c>/api/v1/tokens</c>: admins create, list and revoke API tokens.</summary>
public static class TokensApi
{
    public sealed record CreateTokenRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt);

    public sealed record TokenView(string Id, string Name, string Role, string Prefix, DateTimeOffset CreatedAt,
        DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

    public sealed record CreatedToken(TokenView Token, string Secret);

    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/tokens").RequireAuthorization(Policies.Admin).WithTags("Tokens");

        group.MapGet("", async (SentinelDb db, CancellationToken ct) =>
        {
            var tokens = await db.ApiTokens.AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(ct);
            return tokens.Select(ToView).ToList();
        });

        group.MapPost("", async Task<Results<Created<CreatedToken>, ProblemHttpResult>> (CreateTokenRequest request, TokenService tokens, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            try
            {
                var (token, secret) = await tokens.CreateAsync(request.Name ?? "", request.Role ?? "", request.ExpiresAt, ct);
                await audit.RecordAsync(AuditActor.From(http), AuditActions.TokenCreate, null, token.Name, AuditResults.Ok, $"role {token.Role}, id {token.Id}", ct);
                return TypedResults.Created($"/api/v1/tokens/{token.Id}", new CreatedToken(ToView(token), secret));
            }
            catch (ArgumentException ex)
            {
                return TypedResults.Problem(title: "Invalid token request", detail: ex.Message.Split(" (Parameter")[0], statusCode: 400);
            }
        });

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, SentinelDb db, TimeProvider time, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var changed = await db.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
            if (changed > 0)
            {
                var name = await db.ApiTokens.Where(t => t.Id == id).Select(t => t.Name).FirstAsync(ct);
                await audit.RecordAsync(AuditActor.From(http), AuditActions.TokenRevoke, null, name, AuditResults.Ok, "id " + id, ct);
            }

            return changed == 0
                ? TypedResults.Problem(title: "Token not found", detail: $"no active token with id {id}", statusCode: 404)
                : TypedResults.NoContent();
        });

        return app;
    }

    private static TokenView ToView(ApiToken t) => new(t.Id, t.Name, t.Role, t.Prefix,
        DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt), FromMs(t.ExpiresAt), FromMs(t.LastUsedAt), FromMs(t.RevokedAt));

    private static DateTimeOffset? FromMs(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
