using SentinelX.Shared.Storage;

namespace SentinelX.App.Features.Storage;

/// <summary>
/// The Core's data directory, private before anything is written to it: the process umask becomes
/// 077 (the database, its -wal/-shm files, keys and certificates are created 0600), the directory
/// is 0700, and an install made before this (0755 directory, 0644 database) is tightened at start.
/// PostgreSQL installs get the same: their data directory still holds the keys.
/// </summary>
public static class DataDirectory
{
    /// <summary>Call first, before any service writes to <paramref name="dataDir"/>; the log line about what was tightened comes at start.</summary>
    public static IHostApplicationBuilder AddDataDirectory(this IHostApplicationBuilder builder, string dataDir)
    {
        PrivateDirectory.RestrictUmask();
        var tightened = PrivateDirectory.Prepare(dataDir);
        builder.Services.AddHostedService(sp => new TightenedReport(sp.GetRequiredService<ILogger<TightenedReport>>(), dataDir, tightened));
        return builder;
    }

    /// <summary>Says once, at start, which paths were readable by others, so the owner knows they were exposed.</summary>
    private sealed class TightenedReport(ILogger<TightenedReport> logger, string dataDir, IReadOnlyList<string> tightened) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (tightened.Count > 0)
            {
                logger.LogWarning("Data directory {DataDir} was readable by other users; made {Count} path(s) owner-only (0700/0600): {Paths}",
                    dataDir, tightened.Count, string.Join(", ", tightened.Take(20)) + (tightened.Count > 20 ? ", …" : ""));
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
