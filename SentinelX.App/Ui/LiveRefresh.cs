using System.Diagnostics;
using System.Globalization;

namespace SentinelX.App.Ui;

/// <summary>
/// Turns a stream of change events (hundreds a second with a large fleet) into at most one render
/// every <c>minInterval</c>, and none while nothing changes. Change handlers run on the ingest
/// thread, so they only flip a flag; the render is posted to the component's dispatcher.
/// Create it on the circuit (e.g. in OnInitialized): it keeps that moment's culture for its renders.
/// </summary>
public sealed class LiveRefresh : IDisposable
{
    private readonly TimeSpan _minInterval;
    private readonly Func<Task> _render;
    private readonly Action<Exception> _failed;
    private readonly Action _unsubscribe;

    // Changes arrive on the ingest thread, whose culture is not the viewer's: renders use the circuit's.
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;
    private int _pending;
    private long _lastRender;
    private volatile bool _disposed;

    /// <param name="subscribe">Attaches the given poke to the change events and returns how to detach it.</param>
    public LiveRefresh(TimeSpan minInterval, Func<Task> render, Action<Exception> failed, Func<Action, Action> subscribe)
    {
        _minInterval = minInterval;
        _render = render;
        _failed = failed;
        _unsubscribe = subscribe(Poke);
    }

    /// <summary>Asks for a render; calls within the same interval share one.</summary>
    public void Poke()
    {
        if (_disposed || Interlocked.Exchange(ref _pending, 1) == 1) return;
        _ = RenderAsync();
    }

    public void Dispose()
    {
        _disposed = true;
        _unsubscribe();
    }

    private async Task RenderAsync()
    {
        try
        {
            var last = Interlocked.Read(ref _lastRender);
            var wait = last == 0 ? TimeSpan.Zero : _minInterval - Stopwatch.GetElapsedTime(last);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            // Cleared before rendering: a change that lands during the render asks for the next one.
            Volatile.Write(ref _pending, 0);
            if (_disposed) return;
            Interlocked.Exchange(ref _lastRender, Stopwatch.GetTimestamp());
            CultureInfo.CurrentCulture = _culture;
            CultureInfo.CurrentUICulture = _uiCulture;
            await _render();
        }
        catch (Exception e) when (!_disposed)
        {
            _failed(e);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the change and the render.
        }
    }
}
