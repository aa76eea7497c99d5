using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Auth;

/// <summary>Authenticates <c>Authorization: Bearer sxt_…</c> API tokens against their stored hashes.</summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens,
    SentinelDb db,
    TimeProvider time,
    TokenUsageThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Token";
    public const string TokenIdClaim = "sentinelx:token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (!secret.StartsWith(TokenService.Prefix, StringComparison.Ordinal)) return AuthenticateResult.NoResult();

        var token = await tokens.FindLiveAsync(secret, Context.RequestAborted);
        if (token is null) return AuthenticateResult.Fail("invalid, expired or revoked token");

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (throttle.ShouldRecord(token.Id, now))
        {
            await db.ApiTokens.Where(t => t.Id == token.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, token.Name),
                new Claim(ClaimTypes.Role, token.Role),
                new Claim(TokenIdClaim, token.Id),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(401, "Unauthorized", "send an API token as `Authorization: Bearer sxt_…`; create one with `sentinelx token create`");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(403, "Forbidden", "this token's role does not allow this action");

    private Task WriteProblemAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        return Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}

/// <summary>Records a token's last use at most once a minute, so reads do not turn into writes.</summary>
public sealed class TokenUsageThrottle
{
    private readonly ConcurrentDictionary<string, long> _recorded = new();

    public bool ShouldRecord(string tokenId, long nowMs)
    {
        var last = _recorded.GetOrAdd(tokenId, 0);
        return nowMs - last >= 60_000 && _recorded.TryUpdate(tokenId, nowMs, last);
    }
}
