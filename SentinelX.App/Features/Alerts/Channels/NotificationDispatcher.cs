using System.Collections.Concurrent;
using System.Threading.Channels;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>Tuning of <see cref="NotificationDispatcher"/>.</summary>
public sealed record NotificationDispatcherSettings
{
    /// <summary>Deliveries waiting for a sender; past this <see cref="NotificationDispatcher.Enqueue"/> drops (and records the drop).</summary>
    public int QueueCapacity { get; init; } = 1000;

    /// <summary>Deliveries in progress at once, waits between retries included: one dead service cannot hold every sender.</summary>
    public int MaxConcurrentDeliveries { get; init; } = 32;

    /// <summary>The wait before each retry; one attempt plus one per entry, so 4 by default, over about 72 s.</summary>
    public IReadOnlyList<TimeSpan> RetryDelays { get; init; } = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60)];
}

/// <summary>
/// Sends alert notifications in the background. <see cref="Enqueue"/> never waits, so evaluating
/// alerts never waits on a slow or dead service; each delivery is tried with backoff
/// (<see cref="NotificationDispatcherSettings.RetryDelays"/>, on the injected <see cref="TimeProvider"/>) while
/// the failure is one another try may cure, and its final outcome goes to <see cref="IDeliveryRecorder"/> once.
/// </summary>
public sealed class NotificationDispatcher : BackgroundService
{
    private readonly ChannelSender _sender;
    private readonly IDeliveryRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly ILogger<NotificationDispatcher> _log;
    private readonly NotificationDispatcherSettings _settings;
    private readonly Channel<AlertDelivery> _queue;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();
    private volatile bool _stopped;

    public NotificationDispatcher(ChannelSender sender, IDeliveryRecorder recorder, TimeProvider time,
        ILogger<NotificationDispatcher> log, NotificationDispatcherSettings? settings = null)
    {
        _sender = sender;
        _recorder = recorder;
        _time = time;
        _log = log;
        _settings = settings ?? new NotificationDispatcherSettings();
        _queue = Channel.CreateBounded<AlertDelivery>(new BoundedChannelOptions(_settings.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _slots = new SemaphoreSlim(_settings.MaxConcurrentDeliveries);
    }

    /// <summary>
    /// Queues a delivery and returns at once. False when the queue is full or the dispatcher stopped:
    /// the delivery is then recorded as failed ("not sent") and a warning logged.
    /// </summary>
    public bool Enqueue(AlertDelivery delivery)
    {
        if (_queue.Writer.TryWrite(delivery)) return true;
        if (_stopped)
        {
            Track(RecordAsync(delivery, NotSent("the Core is stopping")));
            return false;
        }
        _log.LogWarning("Alert notifications queue full ({Capacity}): dropped event {EventId} for channel {ChannelId}",
            _settings.QueueCapacity, delivery.EventId, delivery.ChannelId);
        Track(RecordAsync(delivery, NotSent("too many notifications waiting")));
        return false;
    }

    /// <summary>The <i>Send test</i> button: a sample alert in <paramref name="language"/>, one attempt now, nothing recorded.</summary>
    public Task<DeliveryResult> SendTestAsync(ChannelConfig config, string language, CancellationToken ct) =>
        _sender.SendAsync(config, AlertNotification.Test(language, _time.GetUtcNow()), ct);

    /// <summary>Deliveries queued and not yet started.</summary>
    public int QueueLength => _queue.Reader.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var delivery in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await _slots.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    Track(RecordAsync(delivery, NotSent("the Core stopped")));
                    throw;
                }
                Track(DeliverAsync(delivery, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Cancels the loop and every delivery in progress (each records that it was cut short).
        await base.StopAsync(cancellationToken);
        _stopped = true;
        _queue.Writer.TryComplete();
        // What is still queued will not be sent; say so with each alert event.
        while (_queue.Reader.TryRead(out var left))
            Track(RecordAsync(left, NotSent("the Core stopped")));
        await Task.WhenAll(_inFlight.Keys).WaitAsync(cancellationToken);
    }

    private async Task DeliverAsync(AlertDelivery delivery, CancellationToken ct)
    {
        try
        {
            var attempts = 0;
            while (true)
            {
                attempts++;
                var (result, retryable) = await _sender.AttemptAsync(delivery.Config, delivery.Notification, ct);
                if (result.Ok || !retryable || attempts > _settings.RetryDelays.Count)
                {
                    if (!result.Ok)
                        _log.LogWarning("Alert notification for event {EventId} to {Type} channel {ChannelId} failed after {Attempts} attempt(s): {Error}",
                            delivery.EventId, delivery.Config.Type, delivery.ChannelId, attempts, result.Error);
                    await RecordAsync(delivery, result with { Attempts = attempts });
                    return;
                }
                var delay = _settings.RetryDelays[attempts - 1];
                _log.LogInformation("Alert notification for event {EventId} to {Type} channel {ChannelId} failed (attempt {Attempt}): {Error}; retrying in {Delay}",
                    delivery.EventId, delivery.Config.Type, delivery.ChannelId, attempts, result.Error, delay);
                await Task.Delay(delay, _time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await RecordAsync(delivery, NotSent("the Core stopped during delivery"));
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task RecordAsync(AlertDelivery delivery, DeliveryResult result)
    {
        try
        {
            // Not the stopping token: an outcome reached while stopping is still worth storing.
            await _recorder.RecordAsync(delivery.EventId, delivery.ChannelId, result, CancellationToken.None);
        }
        catch (Exception e)
        {
            _log.LogError(e, "Could not record the notification outcome of event {EventId} for channel {ChannelId}", delivery.EventId, delivery.ChannelId);
        }
    }

    private DeliveryResult NotSent(string reason) => new(false, "not sent: " + reason, _time.GetUtcNow(), 0);

    private void Track(Task task)
    {
        _inFlight[task] = true;
        _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public override void Dispose()
    {
        _slots.Dispose();
        base.Dispose();
    }
}
