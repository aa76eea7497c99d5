using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Storage;
using static SentinelX.App.Features.Metrics.RollupSql;

namespace SentinelX.App.Features.Metrics;

/// <summary>
/// Builds 1-minute rollups from raw samples and 1-hour rollups from 1-minute ones. Each tier has a
/// persisted watermark (<c>rollup_state</c>), so a restart resumes where it stopped and a long
/// outage is caught up chunk by chunk. Late samples (below the minute watermark) are recorded by
/// <see cref="SampleWriter"/> in <c>rollup_dirty</c>; their node-hours are rolled up again here.
/// </summary>
public sealed class RollupJob(IDbContextFactory<SentinelDb> dbFactory, TimeProvider time, ILogger<RollupJob> log) : IPeriodicJob
{
    /// <summary>Minutes are rolled up once this long has passed since their end, so that samples
    /// still in flight (Node batching, the writer's queue) are not routinely "late".</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(15);

    private const long MinuteChunkMs = 5 * MinuteMs;
    private const long HourChunkMs = 3 * HourMs;
    private const int DirtyPerTransaction = 20;

    public string Name => "metric-rollups";
    public TimeSpan Interval => TimeSpan.FromSeconds(20);

    public Task RunAsync(CancellationToken ct) => RunOnceAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), ct);

    /// <summary>Redoes dirty node-hours, then advances the minute and hour watermarks up to <paramref name="nowMs"/>.</summary>
    public async Task RunOnceAsync(long nowMs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var sql = new Sql(db);
        await RedoDirtyAsync(sql, ct);
        await AdvanceMinutesAsync(sql, FloorTo(nowMs - (long)Grace.TotalMilliseconds, MinuteMs), ct);
        await AdvanceHoursAsync(sql, ct);
    }

    private async Task RedoDirtyAsync(Sql sql, CancellationToken ct)
    {
        var upsertMinutes = Upsert("rollups_1m", "samples", MinuteMs, fromRaw: true, perNode: true);
        var upsertHour = Upsert("rollups_1h", "rollups_1m", HourMs, fromRaw: false, perNode: true);
        var redone = 0;
        while (true)
        {
            await using var tx = await sql.BeginAsync(ct);
            var minuteWatermark = await sql.LockWatermarkAsync(RollupWatermark.Minute, ct);
            var hourWatermark = await sql.LockWatermarkAsync(RollupWatermark.Hour, ct);
            var dirty = new List<(string Node, long Hour)>();
            await using (var cmd = sql.Command($"SELECT node_id, hour_ms FROM rollup_dirty ORDER BY hour_ms, node_id LIMIT {DirtyPerTransaction}"))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                    dirty.Add((reader.GetString(0), reader.GetInt64(1)));
            }
            if (dirty.Count == 0)
            {
                await tx.CommitAsync(ct);
                break;
            }
            foreach (var (node, hour) in dirty)
            {
                // Minutes at or above the watermark are not rolled up yet; the normal pass does them.
                var to = Math.Min(hour + HourMs, minuteWatermark);
                if (hour < to)
                    await sql.ExecuteAsync(upsertMinutes, ct, ("from", hour), ("to", to), ("node_id", node));
                if (hour < hourWatermark)
                    await sql.ExecuteAsync(upsertHour, ct, ("from", hour), ("to", hour + HourMs), ("node_id", node));
                await sql.ExecuteAsync("DELETE FROM rollup_dirty WHERE node_id = @node_id AND hour_ms = @hour", ct, ("node_id", node), ("hour", hour));
            }
            await tx.CommitAsync(ct);
            redone += dirty.Count;
        }
        if (redone > 0)
            log.LogInformation("Rolled up {Count} node-hours again after late samples", redone);
    }

    private static async Task AdvanceMinutesAsync(Sql sql, long target, CancellationToken ct)
    {
        var upsert = Upsert("rollups_1m", "samples", MinuteMs, fromRaw: true, perNode: false);
        while (!ct.IsCancellationRequested)
        {
            await using var tx = await sql.BeginAsync(ct);
            var watermark = await sql.LockWatermarkAsync(RollupWatermark.Minute, ct);
            if (watermark >= target)
                break;
            // Skip empty stretches (first start, long outages) instead of walking them minute by minute.
            var next = await sql.ScalarAsync("SELECT MIN(ts) FROM samples WHERE ts >= @from", ct, ("from", watermark));
            var from = next is { } first ? Math.Max(watermark, FloorTo(first, MinuteMs)) : target;
            var to = Math.Min(from + MinuteChunkMs, target);
            if (from < to)
                await sql.ExecuteAsync(upsert, ct, ("from", from), ("to", to));
            await sql.SetWatermarkAsync(RollupWatermark.Minute, Math.Max(to, watermark), ct);
            await tx.CommitAsync(ct);
        }
    }

    private static async Task AdvanceHoursAsync(Sql sql, CancellationToken ct)
    {
        var upsert = Upsert("rollups_1h", "rollups_1m", HourMs, fromRaw: false, perNode: false);
        while (!ct.IsCancellationRequested)
        {
            await using var tx = await sql.BeginAsync(ct);
            // Only the job moves the minute watermark, so reading it unlocked is safe, and the
            // sample writer is not held up while hours are computed.
            var minuteWatermark = await sql.ScalarAsync($"SELECT watermark_ms FROM rollup_state WHERE name = '{RollupWatermark.Minute}'", ct) ?? 0;
            var target = FloorTo(minuteWatermark, HourMs);
            var watermark = await sql.LockWatermarkAsync(RollupWatermark.Hour, ct);
            if (watermark >= target)
                break;
            var next = await sql.ScalarAsync("SELECT MIN(bucket) FROM rollups_1m WHERE bucket >= @from", ct, ("from", watermark));
            var from = next is { } first ? Math.Max(watermark, FloorTo(first, HourMs)) : target;
            var to = Math.Min(from + HourChunkMs, target);
            if (from < to)
                await sql.ExecuteAsync(upsert, ct, ("from", from), ("to", to));
            await sql.SetWatermarkAsync(RollupWatermark.Hour, Math.Max(to, watermark), ct);
            await tx.CommitAsync(ct);
        }
    }

    internal static long FloorTo(long ms, long width) => ms - (((ms % width) + width) % width);

    /// <summary>Raw SQL on one open connection and its current transaction.</summary>
    internal sealed class Sql(SentinelDb db)
    {
        private readonly DbConnection _connection = db.Database.GetDbConnection();
        private readonly bool _postgres = db.IsPostgres;
        private DbTransaction? _tx;

        public async Task<Transaction> BeginAsync(CancellationToken ct)
        {
            // SQLite: Microsoft.Data.Sqlite begins IMMEDIATE, taking the write lock up front, so the
            // job and the sample writer are serialized; PostgreSQL uses the row locks below.
            _tx = await _connection.BeginTransactionAsync(ct);
            return new Transaction(this, _tx);
        }

        /// <summary>The current transaction; commands run outside it again once it is disposed.</summary>
        internal sealed class Transaction(Sql owner, DbTransaction tx) : IAsyncDisposable
        {
            public Task CommitAsync(CancellationToken ct) => tx.CommitAsync(ct);

            public async ValueTask DisposeAsync()
            {
                owner._tx = null;
                await tx.DisposeAsync();
            }
        }

        /// <summary>Reads a watermark, on PostgreSQL locking it against the writer's FOR SHARE read.</summary>
        public async Task<long> LockWatermarkAsync(string name, CancellationToken ct) =>
            await ScalarAsync($"SELECT watermark_ms FROM rollup_state WHERE name = @name{(_postgres ? " FOR UPDATE" : "")}", ct, ("name", name))
            ?? throw new InvalidOperationException($"rollup_state has no '{name}' row; was the database migrated?");

        public Task SetWatermarkAsync(string name, long value, CancellationToken ct) =>
            ExecuteAsync("UPDATE rollup_state SET watermark_ms = @value WHERE name = @name", ct, ("value", value), ("name", name));

        public DbCommand Command(string text, params (string Name, object Value)[] parameters)
        {
            var cmd = _connection.CreateCommand();
            cmd.CommandText = text;
            cmd.Transaction = _tx;
            cmd.CommandTimeout = 300;
            foreach (var (name, value) in parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = "@" + name;
                p.Value = value;
                cmd.Parameters.Add(p);
            }
            return cmd;
        }

        public async Task ExecuteAsync(string text, CancellationToken ct, params (string Name, object Value)[] parameters)
        {
            await using var cmd = Command(text, parameters);
            await cmd.ExecuteNonQueryAsync(ct);
        }

        public async Task<long?> ScalarAsync(string text, CancellationToken ct, params (string Name, object Value)[] parameters)
        {
            await using var cmd = Command(text, parameters);
            return await cmd.ExecuteScalarAsync(ct) is { } value and not DBNull ? Convert.ToInt64(value) : null;
        }
    }
}
