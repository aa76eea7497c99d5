using SentinelX.Node.Logging;
using SentinelX.Node.Outbox;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Probes;

/// <summary>
/// Finished checks waiting for the next sample. Bounded: when samples cannot be stored (disk full,
/// not enrolled yet) the oldest results go first, and the log says so once per episode, not per result.
/// Results leave only after the sample carrying them is in the outbox (<see cref="AppendTo"/>).
/// </summary>
internal sealed class ProbeResultBuffer(int capacity = ProbeResultBuffer.DefaultCapacity)
{
    public const int DefaultCapacity = 2000;

    private readonly Lock _gate = new();
    private readonly Queue<ProbeResult> _queue = new();

    /// <summary>The number of the result at the head of the queue; results are numbered as they are added.</summary>
    private long _head = 1;
    private long _dropped;

    public int Count
    {
        get { lock (_gate) return _queue.Count; }
    }

    public void Add(ProbeResult result)
    {
        bool firstDrop;
        lock (_gate)
        {
            firstDrop = false;
            if (_queue.Count >= capacity)
            {
                _queue.Dequeue();
                _head++;
                firstDrop = _dropped++ == 0;
            }

            _queue.Enqueue(result);
        }

        if (firstDrop) Log.Warn($"more than {capacity} probe results wait for a sample to carry them; dropping the oldest until samples are stored again");
    }

    /// <summary>
    /// Stores <paramref name="sample"/> with the results that finished since the last one (at most
    /// <see cref="ProbeLimits.MaxResultsPerSample"/>; more wait for the next sample). They leave the
    /// buffer only once the sample is in the outbox, so a failed append carries them on the next.
    /// </summary>
    public long AppendTo(SampleOutbox outbox, MetricSample sample)
    {
        if (Peek(ProbeLimits.MaxResultsPerSample, out var through) is not { } results) return outbox.Append(sample);
        var seq = outbox.Append(sample with { Probes = results });
        Remove(through);
        return seq;
    }

    /// <summary>The oldest results, at most <paramref name="max"/> (null when there are none); pass <paramref name="through"/> to <see cref="Remove"/> once they are stored.</summary>
    private List<ProbeResult>? Peek(int max, out long through)
    {
        lock (_gate)
        {
            through = 0;
            if (_queue.Count == 0) return null;
            var taken = new List<ProbeResult>(Math.Min(max, _queue.Count));
            foreach (var result in _queue)
            {
                if (taken.Count == max) break;
                taken.Add(result);
            }

            through = _head + taken.Count - 1;
            return taken;
        }
    }

    /// <summary>Forgets the results up to <paramref name="through"/> (those dropped meanwhile are gone already).</summary>
    private void Remove(long through)
    {
        long dropped = 0;
        lock (_gate)
        {
            for (; _head <= through && _queue.Count > 0; _head++) _queue.Dequeue();
            if (_dropped > 0 && _queue.Count < capacity) (dropped, _dropped) = (_dropped, 0);
        }

        if (dropped > 0) Log.Warn($"samples carry probe results again; {dropped} older result(s) were dropped meanwhile");
    }
}
