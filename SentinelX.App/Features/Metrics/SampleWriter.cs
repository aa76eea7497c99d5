using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;

namespace SentinelX.App.Features.Metrics;

/// <summary>Tuning of <see cref="SampleWriter"/>; the defaults carry 2,000 Nodes at one sample per second.</summary>
public sealed record SampleWriterSettings
{
    /// <summary>Submissions waiting for the writer before <see cref="SampleWriter.EnqueueAsync"/> waits (backpressure).</summary>
    public int QueueCapacity { get; init; } = 8192;

    /// <summary>A transaction takes at most about this many samples (a single larger submission is kept whole).</summary>
    public int MaxBatchRows { get; init; } = 4000;

    /// <summary>How long the writer gathers submissions before it commits them.</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Counters of <see cref="SampleWriter"/> since it started.</summary>
public sealed record SampleWriterStats(
    long StoredSamples, long DuplicateSamples, long Transactions, long FailedAttempts, int QueueLength,
    double LastCommitMs, double MaxCommitMs, double AvgCommitMs, double LastAckDelayMs, double MaxAckDelayMs);

/// <summary>
/// The one writer of raw samples. Submissions queue in a bounded channel; a single loop gathers
/// many of them per transaction, inserts with prepared <c>INSERT … ON CONFLICT DO NOTHING</c>
/// commands (so a replayed sample is stored once), and calls each submission's <c>onStored</c>
/// only after the commit. Failed transactions are retried with backoff, never acknowledged.
/// </summary>
public sealed partial class SampleWriter : BackgroundService
{
    private readonly IDbContextFactory<SentinelDb> _dbFactory;
    private readonly ILogger<SampleWriter> _log;
    private readonly SampleWriterSettings _settings;
    private readonly Channel<Submission> _queue;
    private readonly Lock _statsLock = new();
    private long _stored, _duplicates, _transactions, _failures;
    private double _lastCommitMs, _maxCommitMs, _totalCommitMs, _lastAckDelayMs, _maxAckDelayMs;
    private Connection? _connection;

    public SampleWriter(IDbContextFactory<SentinelDb> dbFactory, ILogger<SampleWriter> log, SampleWriterSettings? settings = null)
    {
        _dbFactory = dbFactory;
        _log = log;
        _settings = settings ?? new SampleWriterSettings();
        _queue = Channel.CreateBounded<Submission>(new BoundedChannelOptions(_settings.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>
    /// Queues samples of one node. <paramref name="onStored"/> receives the highest seq of this
    /// submission once the transaction holding them has committed; it runs on the writer's loop,
    /// so it must be cheap. Waits while the queue is full.
    /// </summary>
    public async ValueTask EnqueueAsync(string nodeId, IReadOnlyList<MetricSample> samples, Action<long> onStored, CancellationToken ct)
    {
        if (samples.Count == 0)
            return;
        try
        {
            await _queue.Writer.WriteAsync(new Submission(nodeId, samples, onStored, Stopwatch.GetTimestamp()), ct);
        }
        catch (ChannelClosedException)
        {
            throw new OperationCanceledException("The sample writer is stopping.");
        }
    }

    /// <summary>
    /// A barrier: completes once every submission queued before this call is committed and
    /// acknowledged. It also cuts the batch delay short, so it waits for one commit at most.
    /// Throws <see cref="OperationCanceledException"/> when the writer stops before that.
    /// </summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var barrier = new Submission("", [], null, Stopwatch.GetTimestamp(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await _queue.Writer.WriteAsync(barrier, ct);
        }
        catch (ChannelClosedException)
        {
            throw new OperationCanceledException("The sample writer is stopping.");
        }
        await barrier.Flushed!.Task.WaitAsync(ct);
    }

    public SampleWriterStats Stats
    {
        get
        {
            lock (_statsLock)
            {
                return new SampleWriterStats(_stored, _duplicates, _transactions, _failures, _queue.Reader.Count,
                    _lastCommitMs, _maxCommitMs, _transactions == 0 ? 0 : _totalCommitMs / _transactions,
                    _lastAckDelayMs, _maxAckDelayMs);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking submissions; ExecuteAsync drains what is queued, then ends.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _connection?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Submission>();
        var reader = _queue.Reader;
        // Not stoppingToken: on shutdown the channel is completed and the queue drained first.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            await GatherAsync(reader, batch);
            if (batch.Any(s => s.Samples.Count > 0) && !await WriteWithRetryAsync(batch, stoppingToken))
            {
                Abandon(batch, reader);
                return;
            }
            Acknowledge(batch);
            batch.Clear();
        }
    }

    private async Task GatherAsync(ChannelReader<Submission> reader, List<Submission> batch)
    {
        var rows = 0;
        var started = Stopwatch.GetTimestamp();
        while (rows < _settings.MaxBatchRows)
        {
            if (reader.TryRead(out var next))
            {
                batch.Add(next);
                // Whoever waits at a barrier waits for this commit: no point gathering more.
                if (next.Flushed is not null)
                    return;
                rows += next.Samples.Count;
                continue;
            }
            var remaining = _settings.MaxBatchDelay - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || reader.Completion.IsCompleted)
                return;
            using var timeout = new CancellationTokenSource(remaining);
            try
            {
                if (!await reader.WaitToReadAsync(timeout.Token))
                    return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <returns>false only when the host is stopping and the batch could not be stored.</returns>
    private async Task<bool> WriteWithRetryAsync(List<Submission> batch, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch);
                return true;
            }
            catch (Exception ex)
            {
                lock (_statsLock) _failures++;
                LogWriteFailed(ex, batch.Sum(s => s.Samples.Count), attempt, delay.TotalMilliseconds);
                _connection?.Dispose();
                _connection = null;
            }
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _settings.MaxRetryDelay.Ticks));
        }
    }

    private async Task WriteAsync(List<Submission> batch)
    {
        _connection ??= await Connection.OpenAsync(_dbFactory);
        var c = _connection;
        var started = Stopwatch.GetTimestamp();
        long inserted = 0, total = 0;

        await using (var tx = await c.Db.BeginTransactionAsync())
        {
            c.ReadWatermark.Transaction = tx;
            var watermark = (long)(await c.ReadWatermark.ExecuteScalarAsync())!;
            HashSet<(string, long)>? dirty = null;

            c.InsertSample.Transaction = tx;
            var p = c.InsertSample.Parameters;
            foreach (var submission in batch)
            {
                p[0].Value = submission.NodeId;
                foreach (var sample in submission.Samples)
                {
                    var ts = sample.Timestamp.ToUnixTimeMilliseconds();
                    p[1].Value = sample.Seq;
                    p[2].Value = ts;
                    for (var i = 0; i < MetricColumns.All.Count; i++)
                        p[3 + i].Value = MetricColumns.All[i].Read(sample);
                    var stored = await c.InsertSample.ExecuteNonQueryAsync();
                    inserted += stored;
                    total++;
                    // Probe results ride on their sample: stored with it, once, in the same transaction.
                    if (stored == 1 && sample.Probes is { Count: > 0 } probes)
                        await InsertProbesAsync(c, tx, submission.NodeId, probes);
                    // Late data (e.g. an offline buffer replayed): the minutes it falls in were
                    // already rolled up, so the rollup job must redo its hour.
                    if (ts < watermark)
                        (dirty ??= []).Add((submission.NodeId, ts - ((ts % RollupSql.HourMs) + RollupSql.HourMs) % RollupSql.HourMs));
                }
            }

            if (dirty is not null)
            {
                c.InsertDirty.Transaction = tx;
                foreach (var (node, hour) in dirty)
                {
                    c.InsertDirty.Parameters[0].Value = node;
                    c.InsertDirty.Parameters[1].Value = hour;
                    await c.InsertDirty.ExecuteNonQueryAsync();
                }
            }
            await tx.CommitAsync();
        }

        var commitMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var ackDelayMs = Stopwatch.GetElapsedTime(batch[0].EnqueuedAt).TotalMilliseconds;
        lock (_statsLock)
        {
            _stored += inserted;
            _duplicates += total - inserted;
            _transactions++;
            _lastCommitMs = commitMs;
            _maxCommitMs = Math.Max(_maxCommitMs, commitMs);
            _totalCommitMs += commitMs;
            _lastAckDelayMs = ackDelayMs;
            _maxAckDelayMs = Math.Max(_maxAckDelayMs, ackDelayMs);
        }
    }

    private static async Task InsertProbesAsync(Connection c, DbTransaction tx, string nodeId, IReadOnlyList<Shared.Protocol.ProbeResult> probes)
    {
        c.InsertProbe.Transaction = tx;
        var p = c.InsertProbe.Parameters;
        foreach (var result in probes)
        {
            var at = result.At.ToUnixTimeMilliseconds();
            p[0].Value = result.ProbeId;
            p[1].Value = nodeId;
            p[2].Value = at;
            p[3].Value = result.Ok;
            p[4].Value = result.LatencyMs is { } latency ? latency : DBNull.Value;
            p[5].Value = result.Error is { } error ? error : DBNull.Value;
            p[6].Value = result.CertificateExpiresAt is { } expires ? expires.ToUnixTimeMilliseconds() : DBNull.Value;
            await c.InsertProbe.ExecuteNonQueryAsync();
            Probes.ProbeRollupJob.MarkDirty(at);
        }
    }

    private void Acknowledge(List<Submission> batch)
    {
        foreach (var submission in batch)
        {
            if (submission.Flushed is { } flushed)
            {
                flushed.TrySetResult();
                continue;
            }

            var highest = long.MinValue;
            foreach (var sample in submission.Samples)
                highest = Math.Max(highest, sample.Seq);
            try
            {
                submission.OnStored!(highest);
            }
            catch (Exception ex)
            {
                LogCallbackFailed(ex, submission.NodeId);
            }
        }
    }

    /// <summary>The host is stopping with submissions not stored: their Nodes resend them; barriers are cancelled.</summary>
    private void Abandon(List<Submission> batch, ChannelReader<Submission> reader)
    {
        while (reader.TryRead(out var queued))
            batch.Add(queued);
        foreach (var submission in batch)
            submission.Flushed?.TrySetCanceled();
        LogAbandoned(batch.Count(s => s.Flushed is null));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing {Samples} samples failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    private partial void LogWriteFailed(Exception ex, int samples, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Submissions} sample submissions not stored; their Nodes still hold them and will resend")]
    private partial void LogAbandoned(int submissions);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stored-callback for node {NodeId} threw")]
    private partial void LogCallbackFailed(Exception ex, string nodeId);

    /// <summary>Samples of one node to store, or (with <see cref="Flushed"/> and no samples) a barrier from <see cref="FlushAsync"/>.</summary>
    private sealed record Submission(string NodeId, IReadOnlyList<MetricSample> Samples, Action<long>? OnStored, long EnqueuedAt, TaskCompletionSource? Flushed = null);

    /// <summary>The writer's own long-lived connection with its prepared commands.</summary>
    private sealed class Connection : IDisposable
    {
        public required SentinelDb Context { get; init; }
        public required DbConnection Db { get; init; }
        public required DbCommand InsertSample { get; init; }
        public required DbCommand InsertDirty { get; init; }
        public required DbCommand InsertProbe { get; init; }
        public required DbCommand ReadWatermark { get; init; }

        public static async Task<Connection> OpenAsync(IDbContextFactory<SentinelDb> factory)
        {
            var context = await factory.CreateDbContextAsync();
            try
            {
                await context.Database.OpenConnectionAsync();
                var db = context.Database.GetDbConnection();
                var columns = string.Join(", ", MetricColumns.All.Select(c => c.Name));
                var values = string.Join(", ", MetricColumns.All.Select(c => "@" + c.Name));
                // Samples at or below nodes.last_seq were stored before (and maybe pruned since):
                // skipping them keeps "stored once" true beyond raw retention.
                var insertSample = Command(db,
                    $"INSERT INTO samples (node_id, seq, ts, {columns}) SELECT @node_id, @seq, @ts, {values} " +
                    "WHERE NOT EXISTS (SELECT 1 FROM nodes WHERE id = @node_id AND last_seq >= @seq) " +
                    "ON CONFLICT (node_id, seq) DO NOTHING",
                    [("node_id", DbType.String), ("seq", DbType.Int64), ("ts", DbType.Int64), .. MetricColumns.All.Select(c => (c.Name, c.DbType))]);
                var insertDirty = Command(db,
                    "INSERT INTO rollup_dirty (node_id, hour_ms) VALUES (@node_id, @hour_ms) ON CONFLICT (node_id, hour_ms) DO NOTHING",
                    [("node_id", DbType.String), ("hour_ms", DbType.Int64)]);
                var insertProbe = Command(db,
                    "INSERT INTO probe_results (probe_id, node_id, at, ok, latency_ms, error, certificate_expires_at) " +
                    "VALUES (@probe_id, @node_id, @at, @ok, @latency_ms, @error, @certificate_expires_at) ON CONFLICT (probe_id, node_id, at) DO NOTHING",
                    [("probe_id", DbType.String), ("node_id", DbType.String), ("at", DbType.Int64), ("ok", DbType.Boolean),
                        ("latency_ms", DbType.Double), ("error", DbType.String), ("certificate_expires_at", DbType.Int64)]);
                // FOR SHARE: the rollup job locks this row FOR UPDATE while it advances the
                // watermark, so a sample is either seen by that rollup or marked dirty here.
                var readWatermark = Command(db,
                    $"SELECT watermark_ms FROM rollup_state WHERE name = '{RollupWatermark.Minute}'{(context.IsPostgres ? " FOR SHARE" : "")}", []);
                return new Connection { Context = context, Db = db, InsertSample = insertSample, InsertDirty = insertDirty, InsertProbe = insertProbe, ReadWatermark = readWatermark };
            }
            catch
            {
                await context.DisposeAsync();
                throw;
            }
        }

        private static DbCommand Command(DbConnection db, string sql, IEnumerable<(string Name, DbType Type)> parameters)
        {
            var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, type) in parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = "@" + name;
                p.DbType = type;
                p.Value = type switch
                {
                    DbType.String => "",
                    DbType.Int32 => 0,
                    DbType.Int64 => 0L,
                    DbType.Boolean => false,
                    _ => 0d,
                };
                cmd.Parameters.Add(p);
            }
            cmd.Prepare();
            return cmd;
        }

        public void Dispose()
        {
            InsertSample.Dispose();
            InsertDirty.Dispose();
            InsertProbe.Dispose();
            ReadWatermark.Dispose();
            Context.Dispose();
        }
    }
}
