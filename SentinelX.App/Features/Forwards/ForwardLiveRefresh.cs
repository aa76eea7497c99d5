using System.Diagnostics;
using System.Globalization;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Turns <see cref="ForwardService.Changed"/> (every stats report of every Node) into at most one
/// reload every <see cref="MinInterval"/>. The event fires on the ingest thread, so the handler only
/// flips a flag; the reload runs through the component's dispatcher with the circuit's culture.
/// Create it on the circuit (e.g. in OnInitialized), like the dashboard's LiveRefresh.
/// </summary>
public sealed class ForwardLiveRefresh : IDisposable
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);

    private readonly ForwardService _forwards;
    private readonly Func<Task> _reload;
    private readonly Action<Exception> _failed;
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;
    private int _pending;
    private long _lastReload;
    private volatile bool _disposed;

    public ForwardLiveRefresh(ForwardService forwards, Func<Task> reload, Action<Exception> failed)
    {
        _forwards = forwards;
        _reload = reload;
        _failed = failed;
        forwards.Changed += Poke;
    }

    /// <summary>Asks for a reload; calls within the same interval share one.</summary>
    public void Poke()
    {
        if (_disposed || Interlocked.Exchange(ref _pending, 1) == 1) return;
        _ = ReloadAsync();
    }

    public void Dispose()
    {
        _disposed = true;
        _forwards.Changed -= Poke;
    }

    private async Task ReloadAsync()
    {
        try
        {
            var last = Interlocked.Read(ref _lastReload);
            var wait = last == 0 ? TimeSpan.Zero : MinInterval - Stopwatch.GetElapsedTime(last);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            // Cleared before reloading: a change that lands during the reload asks for the next one.
            Volatile.Write(ref _pending, 0);
            if (_disposed) return;
            Interlocked.Exchange(ref _lastReload, Stopwatch.GetTimestamp());
            CultureInfo.CurrentCulture = _culture;
            CultureInfo.CurrentUICulture = _uiCulture;
            await _reload();
        }
        catch (Exception e) when (!_disposed)
        {
            _failed(e);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the change and the reload.
        }
    }
}
