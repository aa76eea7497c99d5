using Microsoft.Extensions.Options;
using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Forwards;

public static class ForwardsSetup
{
    /// <summary>The forwarding service and its parts, the stats handler every Node session gets, and traffic retention.</summary>
    public static WebApplicationBuilder AddForwards(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ForwardOptions>().BindConfiguration("Forwards").ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardOptions>, ForwardOptionsValidator>();
        // The CA lives beside the enrollment key in the data directory.
        services.AddSingleton(sp => new ForwardCa(Path.GetDirectoryName(sp.GetRequiredService<CoreKeyStore>().KeyPath)!, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ForwardCa>>()));
        services.AddSingleton<ForwardLive>();
        services.AddSingleton<ForwardValidator>();
        services.AddSingleton<ForwardTrafficStore>();
        services.AddSingleton<ForwardStatsIngest>();
        services.AddSingleton<ForwardPusher>();
        services.AddSingleton<ForwardService>();
        services.AddSingleton<INodeSessionHandlers>(sp => sp.GetRequiredService<ForwardService>());
        services.AddHostedService<ForwardStartup>();
        services.AddPeriodicJob<ForwardRetentionJob>();
        return builder;
    }

    public static IEndpointRouteBuilder MapForwards(this IEndpointRouteBuilder app) => app.MapForwardsApi();

    /// <summary>Loads the rules once the database is ready, before Nodes reconnect and ask for them.</summary>
    private sealed class ForwardStartup(ForwardService forwards) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => forwards.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
