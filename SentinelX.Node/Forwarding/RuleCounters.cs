using SentinelX.Node.Forwarding.Limits;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>The persisted form of one rule's counters (see <c>counters.json</c>).</summary>
internal sealed record ForwardCounterState
{
    public long BytesIn { get; init; }
    public long BytesOut { get; init; }
    public long ConnectionsTotal { get; init; }
    public long QuotaUsedBytes { get; init; }

    /// <summary>Start of the quota period the used bytes belong to (UTC).</summary>
    public DateTimeOffset QuotaPeriodStart { get; init; }
}

/// <summary>
/// Live counters and limits of one rule. Byte counts are added as each chunk is written, so a long
/// transfer shows up in the stats while it runs. The buckets are shared by every connection of the
/// rule and outlive restarts of its listeners, so a re-pushed rule keeps its rate.
/// </summary>
internal sealed class RuleCounters
{
    private long _bytesIn;
    private long _bytesOut;
    private long _connectionsTotal;
    private int _connectionsActive;
    private long _quotaUsed;
    private ForwardQuota? _quota;
    private double _bandwidthMbps;

    public RuleCounters(ForwardCounterState? state)
    {
        if (state is null) return;
        _bytesIn = state.BytesIn;
        _bytesOut = state.BytesOut;
        _connectionsTotal = state.ConnectionsTotal;
        _quotaUsed = state.QuotaUsedBytes;
        QuotaPeriodStart = state.QuotaPeriodStart;
    }

    /// <summary>Client → target.</summary>
    public TokenBucket Inbound { get; } = new(0);

    /// <summary>Target → client.</summary>
    public TokenBucket Outbound { get; } = new(0);

    public long BytesIn => Interlocked.Read(ref _bytesIn);
    public long BytesOut => Interlocked.Read(ref _bytesOut);
    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);
    public int ConnectionsActive => Volatile.Read(ref _connectionsActive);
    public long QuotaUsed => Interlocked.Read(ref _quotaUsed);
    public DateTimeOffset QuotaPeriodStart { get; private set; }

    /// <summary>True once the quota of this period is used up.</summary>
    public bool QuotaReached => _quota is { } q && QuotaUsed >= q.Bytes;

    /// <summary>True when the quota is used up and its action is to block.</summary>
    public bool Blocked => QuotaReached && _quota!.Action == QuotaActions.Block;

    /// <summary>Raised (once per crossing) when the quota is used up; the rule closes or throttles its connections.</summary>
    public event Action? QuotaExhausted;

    /// <summary>Takes the rule's limits; called whenever the placement is (re)started.</summary>
    public void Configure(ForwardPlacement placement, DateTimeOffset now)
    {
        _quota = placement.Quota;
        _bandwidthMbps = placement.BandwidthMbps;
        RollQuotaPeriod(now);
        ApplyRate();
    }

    /// <summary>True when a bandwidth limit (or a throttle) applies, so the copy must go through the buckets.</summary>
    public bool Limited => _bandwidthMbps > 0 || _quota?.Action == QuotaActions.Throttle;

    public void AddIn(long bytes)
    {
        Interlocked.Add(ref _bytesIn, bytes);
        AddQuota(bytes);
    }

    public void AddOut(long bytes)
    {
        Interlocked.Add(ref _bytesOut, bytes);
        AddQuota(bytes);
    }

    /// <summary>Counts a new connection unless <paramref name="max"/> (0 = unlimited) are already open.</summary>
    public bool TryOpen(int max)
    {
        while (true)
        {
            var active = Volatile.Read(ref _connectionsActive);
            if (max > 0 && active >= max) return false;
            if (Interlocked.CompareExchange(ref _connectionsActive, active + 1, active) != active) continue;
            Interlocked.Increment(ref _connectionsTotal);
            return true;
        }
    }

    public void Close() => Interlocked.Decrement(ref _connectionsActive);

    /// <summary>Starts a new quota period when the reset day has passed; returns true when it did.</summary>
    public bool RollQuotaPeriod(DateTimeOffset now)
    {
        if (_quota is not { } quota) return false;
        var start = PeriodStart(now, quota.ResetDay);
        if (QuotaPeriodStart >= start) return false;
        QuotaPeriodStart = start;
        Interlocked.Exchange(ref _quotaUsed, 0);
        ApplyRate();
        return true;
    }

    public ForwardCounterState Snapshot() => new()
    {
        BytesIn = BytesIn,
        BytesOut = BytesOut,
        ConnectionsTotal = ConnectionsTotal,
        QuotaUsedBytes = QuotaUsed,
        QuotaPeriodStart = QuotaPeriodStart,
    };

    /// <summary>Replaces the byte and connection totals (kernel rules, whose counters live in the firewall).</summary>
    public void Set(long bytesIn, long bytesOut, int active, long total)
    {
        Interlocked.Exchange(ref _bytesIn, bytesIn);
        Interlocked.Exchange(ref _bytesOut, bytesOut);
        Volatile.Write(ref _connectionsActive, active);
        Interlocked.Exchange(ref _connectionsTotal, total);
    }

    /// <summary>The most recent reset day (00:00 UTC) at or before <paramref name="now"/>.</summary>
    internal static DateTimeOffset PeriodStart(DateTimeOffset now, int resetDay)
    {
        var day = Math.Clamp(resetDay, 1, 28);
        var utc = now.UtcDateTime;
        var start = new DateTimeOffset(utc.Year, utc.Month, day, 0, 0, 0, TimeSpan.Zero);
        return start <= now ? start : start.AddMonths(-1);
    }

    private void AddQuota(long bytes)
    {
        if (_quota is not { } quota) return;
        var used = Interlocked.Add(ref _quotaUsed, bytes);
        if (used >= quota.Bytes && used - bytes < quota.Bytes)
        {
            ApplyRate();
            QuotaExhausted?.Invoke();
        }
    }

    private void ApplyRate()
    {
        var mbps = _bandwidthMbps;
        if (_quota is { Action: QuotaActions.Throttle } quota && QuotaUsed >= quota.Bytes)
            mbps = mbps > 0 ? Math.Min(mbps, quota.ThrottleMbps) : quota.ThrottleMbps;
        var rate = mbps * 1_000_000 / 8;
        Inbound.SetRate(rate);
        Outbound.SetRate(rate);
    }
}
