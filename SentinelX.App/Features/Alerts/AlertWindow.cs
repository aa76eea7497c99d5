namespace SentinelX.App.Features.Alerts;

/// <summary>
/// A moving average over a few minutes of samples, kept in 32 time buckets so 2,000 Nodes with
/// twenty averaged rules each cost kilobytes, not the megabytes every raw value would.
/// </summary>
public sealed class AlertWindow
{
    private const int Buckets = 32;

    private readonly long _bucketMs;
    private readonly int _span;
    private readonly double[] _sums = new double[Buckets];
    private readonly int[] _counts = new int[Buckets];
    private readonly long[] _indexes = new long[Buckets];

    public AlertWindow(TimeSpan length)
    {
        // 30 buckets cover the window; two spare ones absorb the partly filled current bucket.
        _bucketMs = Math.Max(1000, (long)length.TotalMilliseconds / (Buckets - 2));
        _span = (int)Math.Ceiling(length.TotalMilliseconds / _bucketMs);
        Array.Fill(_indexes, long.MinValue);
        Length = length;
    }

    public TimeSpan Length { get; }

    /// <summary>Unix ms of the first value added; the average is trusted once the window is full.</summary>
    public long? FirstAt { get; private set; }

    public void Add(long atMs, double value)
    {
        FirstAt ??= atMs;
        var index = atMs / _bucketMs;
        var slot = (int)(index % Buckets);
        if (_indexes[slot] != index)
        {
            _indexes[slot] = index;
            _sums[slot] = 0;
            _counts[slot] = 0;
        }

        _sums[slot] += value;
        _counts[slot]++;
    }

    /// <summary>True once values span the whole window.</summary>
    public bool IsFull(long nowMs) => FirstAt is { } first && nowMs - first >= (long)Length.TotalMilliseconds;

    /// <summary>The mean of the values within the window ending at <paramref name="nowMs"/>; null when there are none.</summary>
    public double? Average(long nowMs)
    {
        var current = nowMs / _bucketMs;
        double sum = 0;
        long count = 0;
        for (var i = 0; i < Buckets; i++)
        {
            if (_indexes[i] > current - _span && _indexes[i] <= current)
            {
                sum += _sums[i];
                count += _counts[i];
            }
        }

        return count == 0 ? null : sum / count;
    }
}
