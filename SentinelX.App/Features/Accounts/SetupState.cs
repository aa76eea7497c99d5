using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Settings;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Accounts;

/// <summary>Whether the first admin exists, and the one way to create it.</summary>
public sealed class SetupState(TimeProvider time)
{
    /// <summary>The settings row whose primary key makes a second setup fail, even across Core processes.</summary>
    public const string MarkerKey = "setup.completed";

    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile bool complete;

    public async Task<bool> IsCompleteAsync(IServiceProvider services, CancellationToken ct)
    {
        if (complete) return true;
        var db = services.GetRequiredService<SentinelDb>();
        complete = await db.Users.AnyAsync(ct) || await db.Settings.AnyAsync(s => s.Key == MarkerKey, ct);
        return complete;
    }

    /// <summary>Creates the first admin; errors (a setup already done, a weak password) are returned for the form.</summary>
    public async Task<IReadOnlyList<string>> CreateFirstAdminAsync(IServiceProvider services, string userName, string password, string language, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            if (await IsCompleteAsync(services, ct)) return ["Setup is already complete. Sign in instead."];
            var db = services.GetRequiredService<SentinelDb>();
            var users = services.GetRequiredService<UserManager<SentinelUser>>();
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Settings.Add(new CoreSetting { Key = MarkerKey, Value = "1", UpdatedAt = now });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                return ["Setup is already complete. Sign in instead."];
            }
            var user = new SentinelUser { UserName = userName, Role = Auth.Roles.Admin, Language = language, CreatedAt = now };
            var result = await users.CreateAsync(user, password);
            if (!result.Succeeded) return result.Errors.Select(e => e.Description).ToList();
            await tx.CommitAsync(ct);
            complete = true;
            return [];
        }
        finally
        {
            gate.Release();
        }
    }
}
