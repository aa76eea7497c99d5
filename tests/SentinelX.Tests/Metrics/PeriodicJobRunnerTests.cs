using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Jobs;
using Xunit;

namespace SentinelX.Tests.Metrics;

public sealed class PeriodicJobRunnerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_failing_job_keeps_running_and_does_not_stop_the_others()
    {
        var (provider, runner) = Runner(s => s.AddPeriodicJob<FailingJob>().AddPeriodicJob<CountingJob>());
        await using var _ = provider;
        var failing = provider.GetRequiredService<FailingJob>();
        var counting = provider.GetRequiredService<CountingJob>();

        await runner.StartAsync(CancellationToken.None);
        for (var tick = 1; tick <= 3; tick++)
        {
            await Until(() => failing.Runs == tick && counting.Runs == tick);
            _time.Advance(TimeSpan.FromMilliseconds(50));
        }

        await Until(() => failing.Runs == 4 && counting.Runs == 4);
        await runner.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_job_waits_its_initial_delay_then_runs_once_per_interval()
    {
        var (provider, runner) = Runner(s => s.AddPeriodicJob<HourlyJob>());
        await using var _ = provider;
        var job = provider.GetRequiredService<HourlyJob>();

        await runner.StartAsync(CancellationToken.None);
        // The runner starts its loops on a background thread, so the clock moves in small steps
        // until the first run instead of in one jump that could come before the loop is waiting.
        var advanced = TimeSpan.Zero;
        while (job.Runs == 0 && advanced < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(2);
            _time.Advance(TimeSpan.FromMilliseconds(100));
            advanced += TimeSpan.FromMilliseconds(100);
        }

        await Until(() => job.Runs == 1);
        advanced.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(5), "the first run waits 5 s after start-up");

        _time.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(50);
        job.Runs.Should().Be(1);
        _time.Advance(TimeSpan.FromMinutes(1));
        await Until(() => job.Runs == 2);

        await runner.StopAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(5));
        await Task.Delay(50);
        job.Runs.Should().Be(2, "a stopped runner runs nothing");
    }

    private (ServiceProvider Provider, IHostedService Runner) Runner(Action<IServiceCollection> jobs)
    {
        var services = new ServiceCollection().AddLogging(l => l.ClearProviders());
        services.AddSingleton<TimeProvider>(_time);
        jobs(services);
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetServices<IHostedService>().Should().ContainSingle().Subject);
    }

    private static async Task Until(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 5)
        {
            if (waited > 5000) throw new TimeoutException("the job did not run when its time came");
            await Task.Delay(5);
        }
    }

    private sealed class HourlyJob : IPeriodicJob
    {
        public int Runs;
        public string Name => "hourly";
        public TimeSpan Interval => TimeSpan.FromHours(1);

        public Task RunAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref Runs);
            return Task.CompletedTask;
        }
    }

    private sealed class FailingJob : IPeriodicJob
    {
        public int Runs;
        public string Name => "failing";
        public TimeSpan Interval => TimeSpan.FromMilliseconds(50);
        public TimeSpan InitialDelay => TimeSpan.Zero;

        public Task RunAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref Runs);
            throw new InvalidOperationException("boom");
        }
    }

    private sealed class CountingJob : IPeriodicJob
    {
        public int Runs;
        public string Name => "counting";
        public TimeSpan Interval => TimeSpan.FromMilliseconds(50);
        public TimeSpan InitialDelay => TimeSpan.Zero;

        public Task RunAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref Runs);
            return Task.CompletedTask;
        }
    }
}
