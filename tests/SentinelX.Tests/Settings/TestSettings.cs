using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Settings;
using SentinelX.App.Features.Storage;

namespace SentinelX.Tests.Settings;

/// <summary>Ways to build <see cref="CoreSettings"/> in tests.</summary>
internal static class TestSettings
{
    /// <summary>Settings with nothing saved and no database behind them: every value comes from configuration.</summary>
    public static CoreSettings NothingSaved(RetentionOptions? configured = null) =>
        new(new NoDatabase(), new FixedRetention(configured ?? new RetentionOptions()), TimeProvider.System);

    public static CoreSettings Over(IDbContextFactory<SentinelDb> factory, RetentionOptions? configured = null) =>
        new(factory, new FixedRetention(configured ?? new RetentionOptions()), TimeProvider.System);

    private sealed class NoDatabase : IDbContextFactory<SentinelDb>
    {
        public SentinelDb CreateDbContext() => throw new InvalidOperationException("these settings have no database");
    }

    private sealed class FixedRetention(RetentionOptions value) : IOptionsMonitor<RetentionOptions>
    {
        public RetentionOptions CurrentValue => value;
        public RetentionOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<RetentionOptions, string?> listener) => null;
    }
}
