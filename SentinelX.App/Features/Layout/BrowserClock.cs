using Microsoft.JSInterop;

namespace SentinelX.App.Features.Layout;

/// <summary>
/// Formats times in the browser's time zone. One per circuit: the layout asks the browser for its
/// zone once after the first render; until then times are shown in UTC.
/// </summary>
public sealed class BrowserClock
{
    private TimeZoneInfo zone = TimeZoneInfo.Utc;

    public bool IsKnown { get; private set; }

    public event Action? Changed;

    public async Task InitializeAsync(IJSRuntime js)
    {
        if (IsKnown) return;
        var id = await js.InvokeAsync<string>("sentinelx.timeZone");
        if (TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found)) zone = found;
        IsKnown = true;
        Changed?.Invoke();
    }

    public DateTimeOffset ToLocal(long unixMs) =>
        TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(unixMs), zone);

    /// <summary>"2026-11-24 13:05:09" in the browser's zone.</summary>
    public string Format(long unixMs, string format = "yyyy-MM-dd HH:mm:ss") =>
        ToLocal(unixMs).ToString(format, System.Globalization.CultureInfo.InvariantCulture);
}
