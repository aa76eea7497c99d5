using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Users;

/// <summary>
/// What an admin does to other accounts. Every method checks, against the database and not only
/// the cookie, that the caller is an admin right now; the pages check too, this is the last word.
/// </summary>
public sealed class UserAdmin(UserManager<SentinelUser> users, SentinelDb db, TimeProvider time, Settings.CoreSettings settings, AuditLog audit, CircuitClient client, AccountSessions sessions)
{
    public const string LastAdminError = "The last administrator cannot be removed or demoted. Make another user an administrator first.";

    // Serializes the "is there another admin" check with the change that depends on it.
    private static readonly SemaphoreSlim AdminChanges = new(1, 1);

    public sealed record UserRow(string Id, string UserName, string Role, bool TwoFactor, long CreatedAt, long? LastLoginAt);

    /// <summary>Throws unless <paramref name="caller"/> is a user whose stored role is admin.</summary>
    public static async Task DemandAdminAsync(SentinelDb db, UserManager<SentinelUser> users, ClaimsPrincipal caller)
    {
        var id = users.GetUserId(caller);
        // A circuit keeps its DbContext for hours: forget what it tracked and read the role as stored now.
        db.ChangeTracker.Clear();
        var role = id is null ? null : await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => u.Role).FirstOrDefaultAsync();
        if (role != Roles.Admin || !caller.IsInRole(Roles.Admin))
            throw new UnauthorizedAccessException("only administrators can manage users and API tokens");
    }

    public async Task<IReadOnlyList<UserRow>> ListAsync(ClaimsPrincipal caller, CancellationToken ct)
    {
        await DemandAdminAsync(db, users, caller);
        return await db.Users.AsNoTracking().OrderBy(u => u.UserName)
            .Select(u => new UserRow(u.Id, u.UserName!, u.Role, u.TwoFactorEnabled, u.CreatedAt, u.LastLoginAt))
            .ToListAsync(ct);
    }

    /// <summary>Creates a user; returns an error to show, or null.</summary>
    public async Task<string?> CreateAsync(ClaimsPrincipal caller, string userName, string role, string password, CancellationToken ct)
    {
        await DemandAdminAsync(db, users, caller);
        var error = await CreateUserAsync(users, time, userName, role, password, ct, settings.DefaultTheme);
        await RecordAsync(caller, AuditActions.UserCreate, userName.Trim(), error, "role " + role);
        return error;
    }

    /// <summary>Every account change is in the audit log, refused ones too.</summary>
    private Task RecordAsync(ClaimsPrincipal caller, string action, string target, string? error, string detail = "") =>
        audit.RecordAsync(AuditActor.From(caller, client.Address), action, null, target,
            error is null ? AuditResults.Ok : AuditResults.Failed, error is null ? detail : error);

    private async Task<string> NameOfAsync(string userId) => (await users.FindByIdAsync(userId))?.UserName ?? userId;

    /// <summary>The creation rules, shared with <c>sentinelx user add</c> (which has no caller).</summary>
    internal static async Task<string?> CreateUserAsync(UserManager<SentinelUser> users, TimeProvider time, string userName, string role, string password, CancellationToken ct, string theme = "")
    {
        ct.ThrowIfCancellationRequested();
        if (!Roles.IsValid(role)) return "Choose a role.";
        userName = userName.Trim();
        if (userName.Length is < 2 or > 64) return "User names are 2 to 64 characters.";
        if (await users.FindByNameAsync(userName) is not null) return "A user with this name already exists.";
        var user = new SentinelUser { UserName = userName, Role = role, Theme = theme, CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds() };
        var result = await users.CreateAsync(user, password);
        return result.Succeeded ? null : string.Join(" ", result.Errors.Select(e => e.Description));
    }

    public async Task<string?> ChangeRoleAsync(ClaimsPrincipal caller, string userId, string role, CancellationToken ct)
    {
        await DemandAdminAsync(db, users, caller);
        var error = await ChangeRoleCoreAsync(users, db, userId, role, ct);
        await RecordAsync(caller, AuditActions.UserUpdate, await NameOfAsync(userId), error, "role " + role);
        if (error is null) await sessions.SignalAsync(userId);
        return error;
    }

    /// <summary>The role rules, shared with <c>sentinelx user set-role</c>.</summary>
    internal static async Task<string?> ChangeRoleCoreAsync(UserManager<SentinelUser> users, SentinelDb db, string userId, string role, CancellationToken ct)
    {
        if (!Roles.IsValid(role)) return "Choose a role.";
        await AdminChanges.WaitAsync(ct);
        try
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null) return "This user no longer exists.";
            if (user.Role == role) return null;
            if (user.Role == Roles.Admin && !await OtherAdminExistsAsync(db, user.Id, ct)) return LastAdminError;
            user.Role = role;
            var result = await users.UpdateAsync(user);
            if (!result.Succeeded) return string.Join(" ", result.Errors.Select(e => e.Description));
            // The role travels on the cookie: a new stamp ends the user's open sessions.
            await users.UpdateSecurityStampAsync(user);
            return null;
        }
        finally
        {
            AdminChanges.Release();
        }
    }

    public async Task<string?> ResetPasswordAsync(ClaimsPrincipal caller, string userId, string password, CancellationToken ct)
    {
        await DemandAdminAsync(db, users, caller);
        ct.ThrowIfCancellationRequested();
        var user = await users.FindByIdAsync(userId);
        var error = user is null ? "This user no longer exists." : await SetPasswordAsync(users, user, password);
        await RecordAsync(caller, AuditActions.UserUpdate, user?.UserName ?? userId, error, "password reset");
        if (error is null) await sessions.SignalAsync(userId);
        return error;
    }

    /// <summary>Replaces the password, lifts a lockout and ends the user's sessions; shared with <c>sentinelx user reset-password</c>.</summary>
    internal static async Task<string?> SetPasswordAsync(UserManager<SentinelUser> users, SentinelUser user, string password)
    {
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, user, password);
            if (!check.Succeeded) return string.Join(" ", check.Errors.Select(e => e.Description));
        }
        if (await users.HasPasswordAsync(user)) await users.RemovePasswordAsync(user);
        var result = await users.AddPasswordAsync(user, password);
        if (!result.Succeeded) return string.Join(" ", result.Errors.Select(e => e.Description));
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await users.UpdateSecurityStampAsync(user);
        return null;
    }

    public async Task<string?> DeleteAsync(ClaimsPrincipal caller, string userId, CancellationToken ct)
    {
        await DemandAdminAsync(db, users, caller);
        var name = await NameOfAsync(userId);
        var error = await DeleteCoreAsync(users, db, userId, ct);
        await RecordAsync(caller, AuditActions.UserDelete, name, error);
        if (error is null) await sessions.SignalAsync(userId);
        return error;
    }

    /// <summary>The deletion rules, shared with <c>sentinelx user delete</c>.</summary>
    internal static async Task<string?> DeleteCoreAsync(UserManager<SentinelUser> users, SentinelDb db, string userId, CancellationToken ct)
    {
        await AdminChanges.WaitAsync(ct);
        try
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null) return null;
            if (user.Role == Roles.Admin && !await OtherAdminExistsAsync(db, user.Id, ct)) return LastAdminError;
            var result = await users.DeleteAsync(user);
            return result.Succeeded ? null : string.Join(" ", result.Errors.Select(e => e.Description));
        }
        finally
        {
            AdminChanges.Release();
        }
    }

    private static Task<bool> OtherAdminExistsAsync(SentinelDb db, string userId, CancellationToken ct) =>
        db.Users.AnyAsync(u => u.Role == Roles.Admin && u.Id != userId, ct);
}
