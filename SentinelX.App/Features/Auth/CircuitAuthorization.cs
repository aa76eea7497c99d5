using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;

namespace SentinelX.App.Features.Auth;

/// <summary>
/// The check an event handler repeats before it acts: a page's [Authorize] only guards navigation,
/// and a crafted circuit message can call a handler of a page the user should not have.
/// </summary>
public static class CircuitAuthorization
{
    public static async Task<bool> IsAllowedAsync(IAuthorizationService authorization, Task<AuthenticationState>? state, string policy)
    {
        if (state is null) return false;
        var user = (await state).User;
        return (await authorization.AuthorizeAsync(user, policy)).Succeeded;
    }
}
