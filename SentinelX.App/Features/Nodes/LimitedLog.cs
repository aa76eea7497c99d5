namespace SentinelX.App.Features.Nodes;

/// <summary>At most one log line per window; the lines skipped meanwhile are counted for the next one.</summary>
internal sealed class LimitedLog(TimeProvider time, TimeSpan window)
{
    private readonly Lock _gate = new();
    private long _windowStart = long.MinValue;
    private int _suppressed;

    /// <summary>True when this line should be written; <paramref name="suppressed"/> is how many were skipped before it.</summary>
    public bool ShouldLog(out int suppressed)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_windowStart != long.MinValue && time.GetElapsedTime(_windowStart, now) < window)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }
            _windowStart = now;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
