using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;

namespace SentinelX.Tests.Storage;

/// <summary>A fresh database on one provider, created on demand and removed at the end.</summary>
public interface ITestDatabases : IAsyncDisposable
{
    string Provider { get; }
    Task<DbContextOptions<SentinelDb>> CreateAsync();
}

/// <summary>SQLite files in a temp directory, opened exactly as the Core opens them.</summary>
public sealed class SqliteDatabases : ITestDatabases
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sentinelx-test-" + Guid.NewGuid().ToString("N")[..12]);

    public string Provider => DatabaseOptions.Sqlite;

    public Task<DbContextOptions<SentinelDb>> CreateAsync()
    {
        var dir = Path.Combine(_root, Guid.NewGuid().ToString("N")[..8]);
        return Task.FromResult(SentinelDb.CreateOptions(new DatabaseOptions(), dir));
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

/// <summary>A new database per test on the shared <see cref="PostgresServer"/>.</summary>
public sealed class PostgresDatabases(PostgresServer server) : ITestDatabases
{
    public string Provider => DatabaseOptions.Postgres;

    public async Task<DbContextOptions<SentinelDb>> CreateAsync() =>
        SentinelDb.CreateOptions(new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = await server.CreateDatabaseAsync() }, "unused");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class TestDbFactory(DbContextOptions<SentinelDb> options) : IDbContextFactory<SentinelDb>
{
    public SentinelDb CreateDbContext() => SentinelDb.Create(options);
}

/// <summary>A clock the test sets.</summary>
internal sealed class FixedTime(long nowMs) : TimeProvider
{
    public long NowMs { get; set; } = nowMs;
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}

internal static class Samples
{
    /// <summary>2026-11-22 00:00:00 UTC, an hour boundary.</summary>
    public const long T0 = 1_795_305_600_000;

    public static MetricSample At(long seq, long tsMs, double cpu = 10, long netRxTotal = 0, double netRxBps = 0, int tcp = 5) => new()
    {
        Seq = seq,
        Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(tsMs),
        CpuPercent = cpu,
        Load1 = cpu / 100,
        Load5 = 0.5,
        Load15 = 0.25,
        MemUsedBytes = 1_000_000 + seq,
        MemTotalBytes = 8_000_000_000,
        SwapUsedBytes = 0,
        SwapTotalBytes = 1_000_000_000,
        DiskUsedBytes = 50_000_000_000,
        DiskTotalBytes = 100_000_000_000,
        DiskReadBps = 100,
        DiskWriteBps = 200,
        NetRxBps = netRxBps,
        NetTxBps = netRxBps / 2,
        NetRxTotal = netRxTotal,
        NetTxTotal = netRxTotal / 2,
        TcpConnections = tcp,
        UdpConnections = 2,
        Processes = 120,
        UptimeSeconds = 1000 + seq,
    };

    /// <summary><paramref name="count"/> samples one second apart starting at seq <paramref name="firstSeq"/>, time <paramref name="startMs"/>.</summary>
    public static List<MetricSample> Run(long firstSeq, long startMs, int count, Func<int, double>? cpu = null) =>
        [.. Enumerable.Range(0, count).Select(i => At(firstSeq + i, startMs + i * 1000L, cpu?.Invoke(i) ?? 10))];
}

/// <summary>A started <see cref="SampleWriter"/> and a way to store samples through it and wait for the ack.</summary>
internal sealed class RunningWriter : IAsyncDisposable
{
    public SampleWriter Writer { get; }

    private RunningWriter(SampleWriter writer) => Writer = writer;

    public static async Task<RunningWriter> StartAsync(IDbContextFactory<SentinelDb> factory, SampleWriterSettings? settings = null)
    {
        var writer = new SampleWriter(factory, NullLogger<SampleWriter>.Instance, settings);
        await writer.StartAsync(CancellationToken.None);
        return new RunningWriter(writer);
    }

    /// <summary>Stores one submission and returns the acknowledged seq.</summary>
    public async Task<long> StoreAsync(string nodeId, IReadOnlyList<MetricSample> samples)
    {
        var acked = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await Writer.EnqueueAsync(nodeId, samples, acked.SetResult, CancellationToken.None);
        return await acked.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.StopAsync(CancellationToken.None);
        Writer.Dispose();
    }
}
