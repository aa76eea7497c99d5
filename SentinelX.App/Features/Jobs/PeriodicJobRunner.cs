using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SentinelX.App.Features.Jobs;

/// <summary>A small background job run every <see cref="Interval"/> by <see cref="PeriodicJobRunner"/>.</summary>
public interface IPeriodicJob
{
    string Name { get; }
    TimeSpan Interval { get; }

    /// <summary>Delay before the first run, so start-up is not crowded by every job at once.</summary>
    TimeSpan InitialDelay => TimeSpan.FromSeconds(5);

    Task RunAsync(CancellationToken ct);
}

/// <summary>
/// Runs every registered <see cref="IPeriodicJob"/> on its own loop. A failing job is logged and
/// retried at its next tick; it never stops the other jobs or the process.
/// </summary>
internal sealed class PeriodicJobRunner(IEnumerable<IPeriodicJob> jobs, TimeProvider time, ILogger<PeriodicJobRunner> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(jobs.Select(job => RunLoopAsync(job, stoppingToken)));

    private async Task RunLoopAsync(IPeriodicJob job, CancellationToken ct)
    {
        try
        {
            await Task.Delay(job.InitialDelay, time, ct);
            using var timer = new PeriodicTimer(job.Interval, time);
            do
            {
                var started = time.GetTimestamp();
                try
                {
                    await job.RunAsync(ct);
                    log.LogDebug("Job {Job} finished in {Ms} ms", job.Name, (long)time.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    log.LogError(ex, "Job {Job} failed; it runs again in {Interval}", job.Name, job.Interval);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}

/// <summary>Registration of periodic jobs.</summary>
public static class PeriodicJobExtensions
{
    /// <summary>Registers a job (a singleton) and, once, the runner that drives all jobs.</summary>
    public static IServiceCollection AddPeriodicJob<TJob>(this IServiceCollection services)
        where TJob : class, IPeriodicJob
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TJob>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPeriodicJob, TJob>(sp => sp.GetRequiredService<TJob>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PeriodicJobRunner>());
        return services;
    }
}
