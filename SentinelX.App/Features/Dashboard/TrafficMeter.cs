using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Dashboard;

/// <summary>Bytes a Node received and sent since its monthly reset day.</summary>
public readonly record struct MonthTraffic(long RxBytes, long TxBytes)
{
    public long Total => RxBytes + TxBytes;
}

/// <summary>
/// Traffic this month per Node. The settled part comes from the 1-hour rollups (read at most once a
/// minute per Node, on one background reader so 500 Nodes never mean 500 parallel queries); the part
/// since the newest rolled-up hour comes from the live sample, so the figure moves every second.
/// </summary>
public sealed class TrafficMeter(IDbContextFactory<SentinelDb> dbFactory, TimeProvider time, ILogger<TrafficMeter> log)
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Baseline> _baselines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly Channel<NodeState> _refresh = Channel.CreateUnbounded<NodeState>(new UnboundedChannelOptions { SingleReader = true });
    private int _readerStarted;

    /// <summary>Raised after a Node's stored part was (re)read, so views can show it.</summary>
    public event Action<string>? Refreshed;

    /// <summary>Never blocks: answers from the cache and the live sample, and queues a refresh when the cache is old.</summary>
    public MonthTraffic Get(NodeState node) => TryGet(node, out var traffic) ? traffic : default;

    /// <summary>
    /// Like <see cref="Get"/>, but false while this period's stored part has not been read yet, so a
    /// caller that compares the figure (an alert rule) does not take "not known yet" for zero.
    /// </summary>
    public bool TryGet(NodeState node, out MonthTraffic traffic)
    {
        var now = time.GetUtcNow();
        var period = TrafficPeriod.Containing(now, node.TrafficResetDay);
        _baselines.TryGetValue(node.Id, out var baseline);
        if (baseline is null || baseline.PeriodStart != period.Start || now - baseline.ReadAt > RefreshEvery)
            QueueRefresh(node);
        traffic = default;
        if (baseline is null || baseline.PeriodStart != period.Start)
            return false;
        var live = node.Latest;
        traffic = live is null || live.Timestamp.ToUnixTimeMilliseconds() <= baseline.CounterAt
            ? new MonthTraffic(baseline.RxBytes, baseline.TxBytes)
            : new MonthTraffic(
                baseline.RxBytes + CounterDelta(baseline.RxCounter, live.NetRxTotal),
                baseline.TxBytes + CounterDelta(baseline.TxCounter, live.NetTxTotal));
        return true;
    }

    /// <summary>
    /// Bytes between two readings of a kernel counter. A smaller reading means the server rebooted
    /// (the counter restarted at zero), so everything it counted since is new traffic.
    /// </summary>
    public static long CounterDelta(long before, long after) => after >= before ? after - before : after;

    /// <summary>
    /// Sums a period from hourly rows in time order: the difference of each hour's last counter to
    /// the previous hour's. The first hour of a Node without an earlier reading is estimated from its
    /// average rate (one sample a second), because its counter also holds traffic from before enrollment.
    /// </summary>
    public static (long Rx, long Tx, long RxCounter, long TxCounter) Sum(IReadOnlyList<HourTraffic> hours, long periodStartMs)
    {
        long rx = 0, tx = 0;
        long? rxCounter = null, txCounter = null;
        foreach (var h in hours)
        {
            if (h.Bucket >= periodStartMs)
            {
                rx += rxCounter is { } r ? CounterDelta(r, h.RxTotalLast) : (long)(h.RxBpsAvg * Math.Min(h.SampleCount, 3600));
                tx += txCounter is { } t ? CounterDelta(t, h.TxTotalLast) : (long)(h.TxBpsAvg * Math.Min(h.SampleCount, 3600));
            }
            rxCounter = h.RxTotalLast;
            txCounter = h.TxTotalLast;
        }
        return (rx, tx, rxCounter ?? 0, txCounter ?? 0);
    }

    private void QueueRefresh(NodeState node)
    {
        if (!_queued.TryAdd(node.Id, 0)) return;
        if (Interlocked.Exchange(ref _readerStarted, 1) == 0)
            _ = Task.Run(ReadLoopAsync);
        _refresh.Writer.TryWrite(node);
    }

    private async Task ReadLoopAsync()
    {
        await foreach (var node in _refresh.Reader.ReadAllAsync())
        {
            try
            {
                _baselines[node.Id] = await ReadAsync(node);
                Refreshed?.Invoke(node.Id);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                log.LogWarning(e, "Could not read this month's traffic of node {Node}", node.Id);
            }
            finally
            {
                _queued.TryRemove(node.Id, out _);
            }
        }
    }

    private async Task<Baseline> ReadAsync(NodeState node)
    {
        var now = time.GetUtcNow();
        var period = TrafficPeriod.Containing(now, node.TrafficResetDay);
        var startMs = period.Start.ToUnixTimeMilliseconds();
        await using var db = await dbFactory.CreateDbContextAsync();
        // One hour before the period gives the counter reading the first hour is measured from.
        var hours = await db.HourRollups.AsNoTracking()
            .Where(h => h.NodeId == node.Id && h.Bucket >= startMs - 3_600_000)
            .OrderBy(h => h.Bucket)
            .Select(h => new HourTraffic(h.Bucket, h.SampleCount, h.NetRxBpsAvg, h.NetTxBpsAvg, h.NetRxTotalLast, h.NetTxTotalLast))
            .ToListAsync();
        var (rx, tx, rxCounter, txCounter) = Sum(hours, startMs);
        // Before the first rolled-up hour of the period, the live counter is measured from the period start.
        var counterAt = hours.Count > 0 && hours[^1].Bucket >= startMs ? hours[^1].Bucket + 3_600_000 - 1 : startMs;
        if (hours.Count == 0)
        {
            // Nothing rolled up yet (a new Node): count from the first live sample seen this period.
            if (_baselines.TryGetValue(node.Id, out var before) && before.PeriodStart == period.Start && before.CounterAt != long.MaxValue)
                return before with { ReadAt = now };
            var live = node.Latest;
            rxCounter = live?.NetRxTotal ?? 0;
            txCounter = live?.NetTxTotal ?? 0;
            counterAt = live?.Timestamp.ToUnixTimeMilliseconds() ?? long.MaxValue;
        }
        return new Baseline(period.Start, now, rx, tx, rxCounter, txCounter, counterAt);
    }

    private sealed record Baseline(DateTimeOffset PeriodStart, DateTimeOffset ReadAt, long RxBytes, long TxBytes, long RxCounter, long TxCounter, long CounterAt);
}

/// <summary>The traffic columns of one 1-hour rollup.</summary>
public sealed record HourTraffic(long Bucket, int SampleCount, double RxBpsAvg, double TxBpsAvg, long RxTotalLast, long TxTotalLast);
