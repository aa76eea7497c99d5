using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using SentinelX.App.Features.Auth;

namespace SentinelX.App.Features.Settings;

/// <summary>
/// The check every admin-only event handler repeats before it acts: the page attribute only guards
/// navigation, and a crafted circuit message can call a handler of a page the user should not have.
/// </summary>
public static class AdminCheck
{
    public static async Task<bool> IsAdminAsync(IAuthorizationService authorization, Task<AuthenticationState>? state)
    {
        if (state is null) return false;
        var user = (await state).User;
        return (await authorization.AuthorizeAsync(user, Policies.Admin)).Succeeded;
    }
}
