using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Alerts;

/// <summary>
/// Stores the engine's decisions as events (one row from firing to resolved) and hands each to the
/// notifier, in the order they were made, off the engine's path: the engine posts and moves on.
/// </summary>
public sealed class AlertEventWriter(
    IDbContextFactory<SentinelDb> dbFactory, AlertSilences silences, IAlertNotifier notifier, AlertFeed feed, TimeProvider time, ILogger<AlertEventWriter> log)
    : BackgroundService, IAlertSink
{
    private readonly Channel<AlertTransition> _queue = Channel.CreateUnbounded<AlertTransition>(new UnboundedChannelOptions { SingleReader = true });
    private long _written;

    /// <summary>Transitions stored since start (tests and the benchmark wait on it).</summary>
    public long Written => Interlocked.Read(ref _written);

    public void Post(AlertTransition transition) => _queue.Writer.TryWrite(transition);

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Stopping completes the queue; what is in it is still written (ReadAllAsync is not cancelled).
        await foreach (var transition in _queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await WriteAsync(transition);
                    Interlocked.Increment(ref _written);
                    break;
                }
                catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException && attempt < 5)
                {
                    log.LogWarning(e, "Could not store alert {Change} of rule {Rule} on node {Node}; retrying", transition.Change, transition.Rule.Id, transition.NodeId);
                    await Task.Delay(TimeSpan.FromSeconds(attempt), time, CancellationToken.None);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    log.LogError(e, "Dropped alert {Change} of rule {Rule} on node {Node}", transition.Change, transition.Rule.Id, transition.NodeId);
                    break;
                }
            }
        }
    }

    private async Task WriteAsync(AlertTransition t)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var now = time.GetUtcNow();
        var rule = t.Rule;
        AlertEventRecord? record;
        if (t.Change == AlertChange.Fire)
        {
            // A Core that stopped between the engine's decision and this write may find the row already open.
            record = await OpenAsync(db, t);
            if (record is not null) return;
            record = new AlertEventRecord
            {
                RuleId = rule.Id,
                RuleName = rule.Name,
                NodeId = t.NodeId,
                NodeName = t.NodeName,
                Severity = rule.Severity,
                Subject = t.Subject,
                State = AlertStates.Firing,
                Value = t.Facts.Value,
                Threshold = t.Facts.Threshold,
                Message = AlertText.Describe(t.Facts, "en"),
                StartedAt = t.At.ToUnixTimeMilliseconds(),
                LastNotifiedAt = now.ToUnixTimeMilliseconds(),
            };
            db.AlertEvents.Add(record);
        }
        else
        {
            record = await OpenAsync(db, t);
            if (record is null) return;
            if (t.Change == AlertChange.Repeat)
            {
                record.LastNotifiedAt = now.ToUnixTimeMilliseconds();
            }
            else
            {
                record.State = AlertStates.Resolved;
                record.ResolvedAt = Math.Max(record.StartedAt, t.At.ToUnixTimeMilliseconds());
                record.ResolvedValue = t.Facts.Value;
            }
        }

        await db.SaveChangesAsync();
        feed.Publish();

        if (t.Change == AlertChange.Close || rule.Channels.Count == 0) return;
        if (rule.IsMuted(now) || silences.Covers(t.NodeId, rule.Id, now))
        {
            log.LogInformation("Alert {Change} of rule {Rule} on node {Node} not sent: muted", t.Change, rule.Name, t.NodeName);
            return;
        }

        notifier.Notify(record, t.Change, rule, t.Facts);
    }

    private static Task<AlertEventRecord?> OpenAsync(SentinelDb db, AlertTransition t) =>
        db.AlertEvents.Where(e => e.RuleId == t.Rule.Id && e.NodeId == t.NodeId && e.Subject == t.Subject && e.State == AlertStates.Firing)
            .OrderByDescending(e => e.Id).FirstOrDefaultAsync();
}

/// <summary>Tells live views that events or their deliveries changed. Handlers must be quick.</summary>
public sealed class AlertFeed
{
    public event Action? Changed;

    public void Publish() => Changed?.Invoke();
}

public static class AlertStates
{
    public const string Firing = "firing";
    public const string Resolved = "resolved";
}

/// <summary>Sends an event's notification to its rule's channels, without waiting for them.</summary>
public interface IAlertNotifier
{
    void Notify(AlertEventRecord alert, AlertChange change, AlertRule rule, AlertFacts facts);
}
