using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Forwards;

/// <summary>Deletes forwarding traffic buckets older than <see cref="ForwardOptions"/> keeps them.</summary>
public sealed class ForwardRetentionJob(IDbContextFactory<SentinelDb> dbFactory, IOptions<ForwardOptions> options, TimeProvider time,
    ILogger<ForwardRetentionJob> log) : IPeriodicJob
{
    public string Name => "forward-retention";
    public TimeSpan Interval => TimeSpan.FromMinutes(30);
    public TimeSpan InitialDelay => TimeSpan.FromMinutes(2);

    public Task RunAsync(CancellationToken ct) => RunOnceAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), ct);

    /// <summary>Prunes both tables as of <paramref name="nowMs"/>; returns the rows deleted from each.</summary>
    public async Task<(int Minutes, int Hours)> RunOnceAsync(long nowMs, CancellationToken ct)
    {
        var keep = options.Value;
        var minuteCut = nowMs - keep.MinuteDays * 24 * ForwardPeriods.HourMs;
        var hourCut = nowMs - keep.HourDays * 24 * ForwardPeriods.HourMs;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var minutes = await db.ForwardMinutes.Where(r => r.Bucket < minuteCut).ExecuteDeleteAsync(ct);
        var hours = await db.ForwardHours.Where(r => r.Bucket < hourCut).ExecuteDeleteAsync(ct);
        if (minutes + hours > 0) log.LogInformation("Forward retention deleted {Minutes} 1-minute and {Hours} 1-hour traffic rows", minutes, hours);
        return (minutes, hours);
    }
}
