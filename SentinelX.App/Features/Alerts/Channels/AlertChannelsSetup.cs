using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SentinelX.App.Features.Alerts.Channels;

public static class AlertChannelsSetup
{
    /// <summary>
    /// Registers the channels: config protection (<see cref="ChannelSecrets"/>), the named HTTP client,
    /// <see cref="ChannelSender"/> and the background <see cref="NotificationDispatcher"/>. The dispatcher
    /// needs an <see cref="IDeliveryRecorder"/>, registered by whoever stores alert events.
    /// </summary>
    public static IServiceCollection AddAlertChannels(this IServiceCollection services)
    {
        services.AddDataProtection();
        services.TryAddSingleton(TimeProvider.System);
        services.AddChannelHttpClient();
        services.AddSingleton<ChannelSecrets>();
        services.AddSingleton<ChannelSender>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        return services;
    }
}
