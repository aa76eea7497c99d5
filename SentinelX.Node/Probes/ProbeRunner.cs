using System.Globalization;
using System.Text.Json;
using SentinelX.Node.Config;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Probes;

/// <summary>Runs one check of a probe; it ends with an outcome or throws (the runner turns errors and timeouts into results).</summary>
internal delegate Task<ProbeOutcome> ProbeCheck(ProbeDefinition probe, CancellationToken ct);

/// <summary>What one check found; the runner adds the probe id and the time. A class: tasks of it share the framework's code for reference types.</summary>
internal sealed record ProbeOutcome(bool Ok, double? LatencyMs = null, string? Error = null, DateTimeOffset? CertificateExpiresAt = null);

/// <summary>
/// The probe set of this Node: one loop per probe on its own schedule, at most
/// <see cref="MaxConcurrentChecks"/> checks at a time, results into <see cref="Results"/> for the
/// next sample. It lives as long as the agent, not a session, and keeps the last set in
/// <c>DATA/probes.json</c> (0600), so probing goes on after a restart while the Core is away.
/// </summary>
internal sealed class ProbeRunner : IAsyncDisposable
{
    public const int MaxConcurrentChecks = 16;

    /// <summary>The first check of a probe waits a random part of its interval (at most this), so a set of 200 does not fire at once.</summary>
    public static readonly TimeSpan MaxPhase = TimeSpan.FromSeconds(60);

    public const string FileName = "probes.json";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RunningProbe> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(MaxConcurrentChecks);
    private readonly ProbeCheck _check;
    private readonly TimeProvider _time;
    private readonly string _path;
    private bool _toldDisabled;

    public ProbeRunner(NodeSettings settings, ProbeCheck? check = null, TimeProvider? time = null)
    {
        Enabled = settings.Probes;
        _check = check ?? ProbeChecks.RunAsync;
        _time = time ?? TimeProvider.System;
        _path = Path.Combine(settings.DataDir, FileName);
    }

    /// <summary>False when the Node's own config turned probing off: nothing runs, whatever the Core sends.</summary>
    public bool Enabled { get; }

    public ProbeResultBuffer Results { get; } = new();

    public int Count
    {
        get { lock (_gate) return _running.Count; }
    }

    /// <summary>Runs the set kept on disk, until the Core sends its own.</summary>
    public void Start()
    {
        if (!Enabled) return;
        var stored = NodeFiles.ReadJson(_path, ProtocolJsonContext.Default.ProbeSyncParams, "starting without probes until the Core sends them");
        if (stored is null || stored.Probes.Count == 0) return;
        if (ProbeValidation.Validate(stored) is { } error)
        {
            Log.Warn($"ignoring {_path}: {error}; starting without probes until the Core sends them");
            return;
        }

        lock (_gate) Replace(stored.Probes);
        Log.Info($"probes: running {stored.Probes.Count} from {_path} until the Core sends its set");
    }

    /// <summary>Replaces the whole set with a validated one: unchanged probes keep their schedule, changed and removed ones stop at once.</summary>
    public ProbeSyncResult Apply(ProbeSyncParams set)
    {
        if (!Enabled)
        {
            if (!_toldDisabled && set.Probes.Count > 0)
                Log.Info($"probes: the Core sent {set.Probes.Count} probe(s); probing is off in this Node's config (probes = false), running none");
            _toldDisabled |= set.Probes.Count > 0;
            return new ProbeSyncResult { Running = 0, Enabled = false };
        }

        (int Added, int Changed, int Removed) change;
        int running;
        lock (_gate)
        {
            change = Replace(set.Probes);
            running = _running.Count;
            // Under the lock: of two syncs at once, the file keeps the one that runs.
            if (change is not (0, 0, 0)) Save(set);
        }

        if (change is (0, 0, 0)) return new ProbeSyncResult { Running = running, Enabled = true };
        Log.Info($"probes: {running} running ({change.Added} added, {change.Changed} changed, {change.Removed} removed)");
        return new ProbeSyncResult { Running = running, Enabled = true };
    }

    private (int Added, int Changed, int Removed) Replace(IReadOnlyList<ProbeDefinition> probes)
    {
        var wanted = probes.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var (kept, changed, removed) = (0, 0, 0);
        foreach (var (id, running) in _running.ToList())
        {
            if (wanted.TryGetValue(id, out var definition) && definition == running.Definition)
            {
                kept++;
                continue;
            }

            running.Stop();
            _running.Remove(id);
            if (wanted.ContainsKey(id)) changed++;
            else removed++;
        }

        foreach (var probe in probes)
        {
            if (!_running.ContainsKey(probe.Id)) _running[probe.Id] = Launch(probe);
        }

        return (probes.Count - kept - changed, changed, removed);
    }

    private RunningProbe Launch(ProbeDefinition probe)
    {
        var interval = TimeSpan.FromSeconds(probe.IntervalSeconds);
        // Never zero: the loop then always starts by waiting, and nothing of a check runs under the set's lock.
        var phase = TimeSpan.FromMilliseconds(Math.Max(1, (interval < MaxPhase ? interval : MaxPhase).TotalMilliseconds * Random.Shared.NextDouble()));
#pragma warning disable CA2000 // RunningProbe.Stop disposes it once the loop has ended
        var stop = new CancellationTokenSource();
#pragma warning restore CA2000
        return new RunningProbe(probe, stop, RunAsync(probe, phase, stop.Token));
    }

    private async Task RunAsync(ProbeDefinition probe, TimeSpan phase, CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(probe.IntervalSeconds);
        var due = _time.GetUtcNow() + phase;
        try
        {
            while (true)
            {
                var wait = due - _time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct);
                await _slots.WaitAsync(ct);
                ProbeResult result;
                try
                {
                    result = await CheckAsync(probe, ct);
                }
                finally
                {
                    _slots.Release();
                }

                // A check that was running when its probe changed or went away reports nothing.
                if (ct.IsCancellationRequested) return;
                Results.Add(result);
                due += interval;
                // A slow check or a busy Node skips a turn rather than firing twice in a row.
                var now = _time.GetUtcNow();
                if (due <= now) due = now + interval;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>One check of <paramref name="probe"/> as the loop runs it: timeout, errors in words, the result the Core stores.</summary>
    internal async Task<ProbeResult> CheckAsync(ProbeDefinition probe, CancellationToken ct)
    {
        var at = _time.GetUtcNow();
        var timeoutMs = probe.TimeoutMs ?? ProbeLimits.DefaultTimeoutMs;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeoutMs), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        ProbeOutcome outcome;
        try
        {
            outcome = await _check(probe, linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            outcome = new ProbeOutcome(false, Error: string.Create(CultureInfo.InvariantCulture, $"no answer within {timeoutMs} ms"));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            outcome = new ProbeOutcome(false, Error: ProbeErrors.Describe(ex));
        }

        return new ProbeResult
        {
            ProbeId = probe.Id,
            At = at,
            Ok = outcome.Ok,
            // Microseconds are below what any of these checks can tell apart, and keep the JSON short.
            LatencyMs = outcome.LatencyMs is { } latency ? Math.Round(Math.Clamp(latency, 0, ProbeLimits.MaxLatencyMs), 3) : null,
            Error = ProbeErrors.Clean(outcome.Error),
            CertificateExpiresAt = outcome.CertificateExpiresAt,
        };
    }

    private void Save(ProbeSyncParams set)
    {
        try
        {
            NodeFiles.WriteSecret(_path, JsonSerializer.SerializeToUtf8Bytes(set, ProtocolJsonContext.Default.ProbeSyncParams));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The set runs anyway; only a restart before the Core is back would start without it.
            Log.Warn($"cannot keep the probe set in {_path}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<RunningProbe> running;
        lock (_gate)
        {
            running = [.. _running.Values];
            _running.Clear();
        }

        foreach (var probe in running) probe.Stop();
        await Task.WhenAll(running.Select(p => p.Loop));
        _slots.Dispose();
    }

    private sealed record RunningProbe(ProbeDefinition Definition, CancellationTokenSource Stopping, Task Loop)
    {
        /// <summary>Cancels the loop and whatever check it runs; the loop ends by itself and frees its token when it has.</summary>
        public void Stop()
        {
            Stopping.Cancel();
            _ = Loop.ContinueWith(_ => Stopping.Dispose(), TaskScheduler.Default);
        }
    }
}
