using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Alerts.Channels;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Alerts;

/// <summary>
/// Turns a stored event into one delivery per channel of its rule, rendered in each channel's
/// language, queued on the <see cref="NotificationDispatcher"/> (which retries with backoff), and
/// stores each delivery's outcome with the event.
/// </summary>
public sealed class ChannelNotifier(
    IServiceProvider services, IDbContextFactory<SentinelDb> dbFactory, AlertFeed feed, ILogger<ChannelNotifier> log)
    : IAlertNotifier, IDeliveryRecorder
{
    // What each queued delivery announced (firing, resolved, repeat), so its outcome is stored with it.
    private readonly ConcurrentDictionary<(long Event, string Channel), ConcurrentQueue<string>> _kinds = new();

    // Resolved lazily: the dispatcher needs this recorder, and this notifier needs the dispatcher.
    private NotificationDispatcher Dispatcher => services.GetRequiredService<NotificationDispatcher>();
    private AlertChannelStore Channels => services.GetRequiredService<AlertChannelStore>();

    public void Notify(AlertEventRecord alert, AlertChange change, AlertRule rule, AlertFacts facts) =>
        _ = NotifyAsync(alert, change, rule, facts);

    public async Task RecordAsync(long eventId, string channelId, DeliveryResult result, CancellationToken ct)
    {
        var kind = _kinds.TryGetValue((eventId, channelId), out var queue) && queue.TryDequeue(out var k) ? k : "firing";
        if (queue is { IsEmpty: true }) _kinds.TryRemove(KeyValuePair.Create((eventId, channelId), queue));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AlertDeliveries.Add(new AlertDeliveryRecord
        {
            EventId = eventId,
            ChannelId = channelId,
            Kind = kind,
            Ok = result.Ok,
            Error = result.Error is { Length: > 500 } e ? e[..500] : result.Error,
            Attempts = result.Attempts,
            At = result.At.ToUnixTimeMilliseconds(),
        });
        await db.SaveChangesAsync(ct);
        feed.Publish();
    }

    private async Task NotifyAsync(AlertEventRecord alert, AlertChange change, AlertRule rule, AlertFacts facts)
    {
        try
        {
            var kind = change switch { AlertChange.Resolve => "resolved", AlertChange.Repeat => "repeat", _ => "firing" };
            foreach (var channel in await Channels.FindAsync(rule.Channels, CancellationToken.None))
            {
                if (!channel.Enabled) continue;
                var config = Channels.Unprotect(channel);
                var lasted = TimeSpan.FromMilliseconds((alert.ResolvedAt ?? alert.StartedAt) - alert.StartedAt);
                var notification = new AlertNotification
                {
                    State = change == AlertChange.Resolve ? AlertState.Resolved : AlertState.Firing,
                    RuleName = rule.Name,
                    RuleId = rule.Id,
                    NodeName = alert.NodeName,
                    NodeId = alert.NodeId,
                    Severity = rule.Severity switch { "info" => AlertSeverity.Info, "critical" => AlertSeverity.Critical, _ => AlertSeverity.Warning },
                    Value = change == AlertChange.Resolve ? alert.ResolvedValue : alert.Value,
                    Threshold = alert.Threshold,
                    Message = change == AlertChange.Resolve ? AlertText.DescribeResolved(facts, channel.Language, lasted) : AlertText.Describe(facts, channel.Language),
                    StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(alert.StartedAt),
                    ResolvedAt = alert.ResolvedAt is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null,
                    Language = channel.Language,
                };
                _kinds.GetOrAdd((alert.Id, channel.Id), _ => new ConcurrentQueue<string>()).Enqueue(kind);
                Dispatcher.Enqueue(new AlertDelivery(alert.Id, channel.Id, config, notification));
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.LogError(e, "Could not queue the notifications of alert event {Event}", alert.Id);
        }
    }
}
