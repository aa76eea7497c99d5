namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// The final outcome of sending to one channel: <see cref="Ok"/>, a short reason when not (never a
/// secret: known secrets are scrubbed from service answers), when it was decided and after how many attempts.
/// </summary>
public sealed record DeliveryResult(bool Ok, string? Error, DateTimeOffset At, int Attempts = 1);

/// <summary>One alert event to send to one channel. <see cref="Config"/> is the unprotected config (see <see cref="ChannelSecrets.Unprotect"/>).</summary>
public sealed record AlertDelivery(long EventId, string ChannelId, ChannelConfig Config, AlertNotification Notification);

/// <summary>
/// Stores what happened to each delivery with its alert event. Implemented by the alerts feature;
/// called once per <see cref="AlertDelivery"/>, after the last attempt or when the queue was full.
/// </summary>
public interface IDeliveryRecorder
{
    Task RecordAsync(long eventId, string channelId, DeliveryResult result, CancellationToken ct);
}
