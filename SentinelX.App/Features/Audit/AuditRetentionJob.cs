using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Settings;

namespace SentinelX.App.Features.Audit;

/// <summary>Deletes audit entries older than the retention set on the settings page.</summary>
internal sealed class AuditRetentionJob(AuditLog audit, CoreSettings settings, TimeProvider time, ILogger<AuditRetentionJob> log) : IPeriodicJob
{
    public string Name => "audit-retention";
    public TimeSpan Interval => TimeSpan.FromHours(1);

    public async Task RunAsync(CancellationToken ct)
    {
        var cutoff = time.GetUtcNow().AddDays(-settings.AuditRetentionDays).ToUnixTimeMilliseconds();
        var deleted = await audit.PruneAsync(cutoff, ct);
        if (deleted > 0) log.LogInformation("Deleted {Count} audit entries older than {Days} days", deleted, settings.AuditRetentionDays);
    }
}
