namespace SentinelX.Tests.Api;

/// <summary>Polling for what the Core does on its own time (a Node's hello, a pushed rule's answer).</summary>
internal static class Eventually
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Polls until <paramref name="probe"/> returns a value (not null) and returns it; fails naming <paramref name="what"/>.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, string what) where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out after {Patience.TotalSeconds} s waiting for: {what}");
            await Task.Delay(50);
        }
    }
}
