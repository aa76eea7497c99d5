namespace SentinelX.E2E.Infrastructure;

public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> and the diagnostics otherwise.</summary>
    public static async Task<TimeSpan> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var started = DateTime.UtcNow;
        Exception? last = null;
        while (DateTime.UtcNow - started < timeout)
        {
            try
            {
                if (await condition()) return DateTime.UtcNow - started;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                last = ex;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"timed out after {timeout.TotalSeconds} s waiting for: {what}" +
            (last is null ? "" : $"\nlast error: {last.Message}") + (diagnostics is null ? "" : "\n" + diagnostics()));
    }

    /// <summary>Polls until <paramref name="probe"/> returns a value (not null) and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : class
    {
        T? value = null;
        await WaitAsync(async () => (value = await probe()) is not null, timeout, what);
        return value!;
    }
}
