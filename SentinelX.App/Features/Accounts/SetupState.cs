using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Settings;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Accounts;

/// <summary>
/// Whether the first admin exists, and the one way to create it. Until then the Core prints a
/// one-time setup code at start: a visitor from elsewhere must give it, so the first stranger to
/// reach a fresh Core does not become its admin. A browser on the Core's own machine (loopback) may skip it.
/// </summary>
public sealed partial class SetupState(TimeProvider time) : IDisposable
{
    public const string WrongCode = "The setup code is wrong. The Core printed it in its console and log when it started (\"setup code\").";
    /// <summary>The settings row whose primary key makes a second setup fail, even across Core processes.</summary>
    public const string MarkerKey = "setup.completed";

    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile bool complete;
    private string? code;

    /// <summary>At start: makes and prints the setup code while no admin exists.</summary>
    public async Task AnnounceAsync(IServiceProvider services, ILogger logger, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        if (await IsCompleteAsync(scope.ServiceProvider, ct)) return;
        // 60 random bits in 12 letters and digits: typed once, never guessed.
        code = Keys.SecretText.New("", 8)[..12].ToUpperInvariant();
        LogSetupCode(logger, code);
    }

    /// <summary>True when the visitor may create the first admin with <paramref name="given"/>.</summary>
    public bool Accepts(string? given, System.Net.IPAddress? visitor)
    {
        if (visitor is not null && System.Net.IPAddress.IsLoopback(visitor)) return true;
        var expected = code;
        if (expected is null || string.IsNullOrEmpty(given)) return false;
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(given.Trim().ToUpperInvariant()));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No administrator yet. Open the web UI and create one; from another machine the setup page asks for this setup code: {Code}")]
    private static partial void LogSetupCode(ILogger logger, string code);

    public async Task<bool> IsCompleteAsync(IServiceProvider services, CancellationToken ct)
    {
        if (complete) return true;
        var db = services.GetRequiredService<SentinelDb>();
        complete = await db.Users.AnyAsync(ct) || await db.Settings.AnyAsync(s => s.Key == MarkerKey, ct);
        return complete;
    }

    /// <summary>Creates the first admin; errors (a setup already done, a weak password) are returned for the form.</summary>
    public async Task<IReadOnlyList<string>> CreateFirstAdminAsync(IServiceProvider services, string userName, string password, string language,
        string? setupCode, System.Net.IPAddress? visitor, CancellationToken ct)
    {
        if (!Accepts(setupCode, visitor)) return [WrongCode];
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
            code = null;
            var fromLoopback = visitor is not null && System.Net.IPAddress.IsLoopback(visitor);
            await services.GetRequiredService<Audit.AuditLog>().RecordAsync(
                new Audit.AuditActor(userName, "user", Audit.AuditActor.Format(visitor)), Audit.AuditActions.Setup, null, userName,
                Audit.AuditResults.Ok, fromLoopback ? "first administrator, from the Core's own machine" : "first administrator, with the setup code", ct);
            return [];
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();
}
