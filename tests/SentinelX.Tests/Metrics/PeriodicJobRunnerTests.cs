using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SentinelX.App.Features.Jobs;
using Xunit;

namespace SentinelX.Tests.Metrics;

public sealed class PeriodicJobRunnerTests
{
    [Fact]
    public async Task A_failing_job_keeps_running_and_does_not_stop_the_others()
    {
        var services = new ServiceCollection().AddLogging(l => l.ClearProviders());
        services.AddPeriodicJob<FailingJob>();
        services.AddPeriodicJob<CountingJob>();
        await using var provider = services.BuildServiceProvider();
        var runner = provider.GetServices<IHostedService>().Should().ContainSingle().Subject;

        await runner.StartAsync(CancellationToken.None);
        await Task.Delay(500);
        await runner.StopAsync(CancellationToken.None);

        provider.GetRequiredService<FailingJob>().Runs.Should().BeGreaterThan(2, "a failure is logged and the job runs again");
        provider.GetRequiredService<CountingJob>().Runs.Should().BeGreaterThan(2);
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
