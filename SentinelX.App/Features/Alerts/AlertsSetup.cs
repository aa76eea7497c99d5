using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Alerts.Channels;
using SentinelX.App.Features.Docker;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Alerts;

public static class AlertsSetup
{
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<AlertFeed>();
        services.AddSingleton<AlertEventWriter>();
        services.AddSingleton<IAlertSink>(sp => sp.GetRequiredService<AlertEventWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<AlertEventWriter>());
        services.AddSingleton<AlertEngine>();
        services.AddSingleton<ISampleObserver>(sp => sp.GetRequiredService<AlertEngine>());
        services.AddSingleton<AlertSilences>();
        services.AddSingleton<AlertRules>();
        services.AddSingleton<AlertEventQuery>();
        services.AddHostedService<AlertClock>();
        services.AddAlertChannels();
        services.AddSingleton<AlertChannelStore>();
        services.AddSingleton<ChannelNotifier>();
        services.AddSingleton<IAlertNotifier>(sp => sp.GetRequiredService<ChannelNotifier>());
        services.AddSingleton<IDeliveryRecorder>(sp => sp.GetRequiredService<ChannelNotifier>());
        services.AddPeriodicJob<ContainerWatch>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAlerts(this IEndpointRouteBuilder app) => app.MapAlertsApi().MapAlertChannelsApi();
}

/// <summary>
/// Loads rules, open events and maintenance windows before Nodes connect, connects the engine to
/// forward states, and ticks it every second for what depends on time alone.
/// </summary>
internal sealed class AlertClock(
    AlertEngine engine, AlertSilences silences, ForwardLive forwards, IDbContextFactory<SentinelDb> dbFactory, TimeProvider time, ILogger<AlertClock> log)
    : BackgroundService
{
    public static readonly TimeSpan TickEvery = TimeSpan.FromSeconds(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var rules = await db.AlertRules.AsNoTracking().ToListAsync(cancellationToken);
            var open = await db.AlertEvents.AsNoTracking().Where(e => e.State == AlertStates.Firing).ToListAsync(cancellationToken);
            engine.Load(rules.Select(AlertRule.From), open);
            log.LogInformation("Alerts: {Rules} rules, {Open} firing", rules.Count, open.Count);
        }

        await silences.LoadAsync(cancellationToken);
        forwards.StatusChanged += engine.OnForwardState;
        await base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        forwards.StatusChanged -= engine.OnForwardState;
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TickEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    engine.Tick();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    log.LogError(e, "Alert tick failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>
/// Container rules: asks each covered Node for its containers every 30 s. Listing containers uses
/// the Node's Docker capability, so it happens only where both locks are open (an admin turned
/// Docker on for the Node and the Node allows it); elsewhere the rule cannot see and stays quiet.
/// </summary>
internal sealed class ContainerWatch(AlertEngine engine, NodeRegistry nodes, DockerOperations docker) : IPeriodicJob
{
    public string Name => "alert-containers";
    public TimeSpan Interval => TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var node in nodes.All)
        {
            if (!node.Online || engine.WatchedContainers(node).Count == 0) continue;
            var listed = await docker.ContainersAsync(node, ct);
            if (!listed.Succeeded) continue;
            var states = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var c in listed.Value.Containers) states[c.Name.TrimStart('/')] = c.State;
            engine.OnContainers(node, states);
        }
    }
}
