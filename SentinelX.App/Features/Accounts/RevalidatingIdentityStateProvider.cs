using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace SentinelX.App.Features.Accounts;

/// <summary>
/// Re-checks an open circuit's user every few seconds, and at once when this Core changed the account:
/// a deleted user, a changed role or password, or a "sign out everywhere" (all of which change the
/// security stamp) ends the session, and with it the streams the circuit holds (log tails, transfers).
/// </summary>
internal sealed class RevalidatingIdentityStateProvider : RevalidatingServerAuthenticationStateProvider
{
    private readonly IServiceScopeFactory _scopes;
    private readonly IOptions<IdentityOptions> _options;
    private readonly AccountSessions _sessions;

    public RevalidatingIdentityStateProvider(ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<IdentityOptions> options, AccountSessions sessions)
        : base(loggerFactory)
    {
        _scopes = scopes;
        _options = options;
        _sessions = sessions;
        sessions.Changed += OnAccountChanged;
    }

    protected override TimeSpan RevalidationInterval => AccountSessions.CheckInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<SentinelUser>>();
        var user = await users.GetUserAsync(state.User);
        if (user is null) return false;
        if (user.Role != state.User.FindFirstValue(ClaimTypes.Role)) return false;
        if (!users.SupportsUserSecurityStamp) return true;
        var stamp = state.User.FindFirstValue(_options.Value.ClaimsIdentity.SecurityStampClaimType);
        return stamp == await users.GetSecurityStampAsync(user);
    }

    private void OnAccountChanged(string userId) => _ = RecheckAsync(userId);

    private async Task RecheckAsync(string userId)
    {
        try
        {
            var state = await GetAuthenticationStateAsync();
            if (state.User.FindFirstValue(ClaimTypes.NameIdentifier) != userId) return;
            if (!await ValidateAuthenticationStateAsync(state, CancellationToken.None))
                NotifyAuthenticationStateChanged(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The circuit went away meanwhile; the periodic check covers anything else.
        }
    }

    protected override void Dispose(bool disposing)
    {
        _sessions.Changed -= OnAccountChanged;
        base.Dispose(disposing);
    }
}
