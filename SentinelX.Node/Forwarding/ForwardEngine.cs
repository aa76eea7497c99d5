using System.Text.Json;
using SentinelX.Node.Config;
using SentinelX.Node.Forwarding.Hops;
using SentinelX.Node.Forwarding.Kernel;
using SentinelX.Node.Forwarding.Targets;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>
/// The Node's forwards, for the lifetime of the agent (not of a Core session): restores the last
/// placement set from disk at start so forwarding works while the Core is unreachable, applies each
/// <see cref="Methods.ForwardSync"/> as a diff by rule id (unchanged placements keep their open
/// connections), and keeps counters on disk so a restart loses at most a few seconds of them.
/// </summary>
internal sealed class ForwardEngine : IAsyncDisposable
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);

    private readonly NodeSettings _settings;
    private readonly ForwardStore _store;
    private readonly KernelForwarder _kernel;
    private readonly ForwardTargetPolicy _policy;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ForwardRule> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KernelRule> _kernelRules = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _flushing = Task.CompletedTask;
    private readonly Dictionary<string, RuleCounters> _counters = new(StringComparer.Ordinal);
    private HopCredentials? _credentials;
    private ForwardCredentials? _credentialsPem;
    private ForwardCountersFile _loadedCounters = new();

    public ForwardEngine(NodeSettings settings, KernelForwarder? kernel = null, TimeProvider? time = null)
    {
        _settings = settings;
        _store = new ForwardStore(settings.DataDir);
        _time = time ?? TimeProvider.System;
        _policy = ForwardTargetPolicy.For(settings, _time);
        _kernel = kernel ?? new KernelForwarder(guards: new KernelGuards(_policy, settings.ForwardPrivilegedPorts, settings.ConfigPath));
    }

    /// <summary>False when this server's own config does not allow forwarding: the engine then runs nothing.</summary>
    public bool Allowed => _settings.Allow.Contains(Capabilities.Forward);

    /// <summary>True while any placement is configured (the session then reports stats).</summary>
    public bool HasPlacements
    {
        get
        {
            lock (_rules) return _rules.Count + _kernelRules.Count > 0;
        }
    }

    /// <summary>Removes stale kernel rules, then restores the placements and counters saved on disk.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        try
        {
            await _kernel.ResetAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Warn("cannot remove old kernel forwarding rules", ex);
        }

        if (!Allowed) return;
        _loadedCounters = _store.LoadCounters();
        if (_store.LoadPlacements() is { } saved)
        {
            try
            {
                var result = await ApplyCoreAsync(saved, persist: false, ct);
                var failed = result.Placements.Count(p => p.Status == ForwardStatuses.Error);
                Log.Info($"forwarding: restored {result.Placements.Count} of {saved.Placements.Count} saved placement(s){(failed > 0 ? $", {failed} with errors" : "")}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The agent must start (and reach the Core, whose set wins) whatever the saved set holds.
                Log.Error("forwarding: cannot restore the saved placements", ex);
            }
        }

        _flushing = FlushLoopAsync(_stop.Token);
    }

    /// <summary>Makes the running set exactly <paramref name="sync"/>, saves it, and returns each placement's state.</summary>
    public Task<ForwardSyncResult> ApplyAsync(ForwardSyncParams sync, CancellationToken ct) => ApplyCoreAsync(sync, persist: true, ct);

    /// <summary>Current state and counters of every placement.</summary>
    public async Task<IReadOnlyList<ForwardPlacementStats>> StatsAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await RefreshKernelCountersAsync(ct);
            return Snapshot();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The running userspace rule with this id, if any (for tests that look inside).</summary>
    internal ForwardRule? RunningRule(string ruleId)
    {
        lock (_rules) return _rules.GetValueOrDefault(ruleId);
    }

    private async Task<ForwardSyncResult> ApplyCoreAsync(ForwardSyncParams sync, bool persist, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var now = _time.GetUtcNow();
            var wanted = new Dictionary<string, (ForwardPlacement Placement, string Json)>(StringComparer.Ordinal);
            foreach (var placement in sync.Placements.Select(PlacementDefaults.Apply))
                wanted[placement.RuleId] = (placement, JsonSerializer.Serialize(placement, ProtocolJsonContext.Default.ForwardPlacement));

            // New credentials restart every hop placement that could use them; the old ones are
            // disposed only after the placements holding them have stopped.
            var credentialsChanged = !Equals(_credentialsPem, sync.Credentials);
            HopCredentials? retired = null;
            if (credentialsChanged)
            {
                retired = _credentials;
                _credentials = LoadCredentials(sync.Credentials);
                _credentialsPem = sync.Credentials;
            }

            // Stop what is gone or changed first, so a changed rule can take its own port again.
            foreach (var (id, rule) in _rules.ToArray())
            {
                // A placement that failed (a port in use) is tried again on every sync.
                var keep = rule.Error is null && wanted.TryGetValue(id, out var w) && w.Json == rule.Json && w.Placement.Mode != ForwardModes.Kernel
                    && !(credentialsChanged && UsesHops(w.Placement));
                if (keep) continue;
                lock (_rules) _rules.Remove(id);
                await rule.DisposeAsync();
            }

            retired?.Dispose();

            foreach (var (id, (placement, json)) in wanted)
            {
                if (placement.Mode == ForwardModes.Kernel || _rules.ContainsKey(id)) continue;
                var counters = CountersFor(id);
                counters.Configure(placement, now);
                var rule = HeldByOtherRule(placement) is { } port
                    ? ForwardRule.Failed(placement, json, counters, $"port {port} already in use")
                    : await ForwardRule.StartAsync(placement, json, counters, _credentials, _policy, ct, _settings.UdpSessions);
                if (rule.Error is not null) Log.Warn($"forward {placement.Name} ({id}): {rule.Error}");
                lock (_rules) _rules[id] = rule;
            }

            await ApplyKernelAsync(wanted.Values.Select(w => w.Placement).Where(p => p.Mode == ForwardModes.Kernel).ToList(), now, ct);

            // Counters of rules that are gone are dropped with them.
            foreach (var id in _counters.Keys.Where(id => !wanted.ContainsKey(id)).ToList()) _counters.Remove(id);
            _loadedCounters = new ForwardCountersFile();

            if (persist) _store.SavePlacements(sync);
            SaveCounters();
            return new ForwardSyncResult { Placements = Snapshot() };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The port when another running rule already listens there. Sockets are bound with
    /// SO_REUSEADDR (so a restarted rule gets its port back despite TIME_WAIT), and Linux then lets
    /// 0.0.0.0 and 127.0.0.1 share a port: the engine has to refuse that itself.
    /// </summary>
    private int? HeldByOtherRule(ForwardPlacement placement)
    {
        if (ForwardRule.BindingOf(placement) is not { } wanted) return null;
        foreach (var rule in _rules.Values)
        {
            if (rule.Error is not null || rule.Binding is not { } held || held.Port != wanted.Port) continue;
            if (!(held.Tcp && wanted.Tcp || held.Udp && wanted.Udp)) continue;
            if (held.Address.Equals(wanted.Address) || IsAny(held.Address) || IsAny(wanted.Address)) return wanted.Port;
        }

        return null;
    }

    private static bool IsAny(System.Net.IPAddress address) =>
        address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any);

    private static HopCredentials? LoadCredentials(ForwardCredentials? pem)
    {
        if (pem is null) return null;
        try
        {
            return HopCredentials.FromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            // tls and wss placements then report their own errors; tcp hops and direct rules still run.
            Log.Error($"forwarding: the hop certificate from the Core cannot be loaded: {ex.Message}");
            return null;
        }
    }

    private static bool UsesHops(ForwardPlacement placement) => placement.Next is not null || placement.HopIn is not null;

    private RuleCounters CountersFor(string id)
    {
        if (_counters.TryGetValue(id, out var counters)) return counters;
        _loadedCounters.Rules.TryGetValue(id, out var state);
        counters = new RuleCounters(state);
        _counters[id] = counters;
        return counters;
    }

    private async Task ApplyKernelAsync(List<ForwardPlacement> placements, DateTimeOffset now, CancellationToken ct)
    {
        IReadOnlyDictionary<string, string> errors;
        try
        {
            errors = await _kernel.ApplyAsync(placements, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors = placements.ToDictionary(p => p.RuleId, _ => ex.Message, StringComparer.Ordinal);
        }

        var next = new Dictionary<string, KernelRule>(StringComparer.Ordinal);
        foreach (var placement in placements)
        {
            var counters = CountersFor(placement.RuleId);
            counters.Configure(placement, now);
            var json = JsonSerializer.Serialize(placement, ProtocolJsonContext.Default.ForwardPlacement);
            // Kernel counters start from zero whenever a rule is (re)installed: what was counted before is the base.
            var rule = _kernelRules.TryGetValue(placement.RuleId, out var old) && old.Json == json
                ? old with { Error = errors.GetValueOrDefault(placement.RuleId) }
                : new KernelRule(placement.RuleId, json, counters.Snapshot(), errors.GetValueOrDefault(placement.RuleId));
            next[placement.RuleId] = rule;
        }

        lock (_rules)
        {
            _kernelRules.Clear();
            foreach (var (id, rule) in next) _kernelRules[id] = rule;
        }
    }

    private async Task RefreshKernelCountersAsync(CancellationToken ct)
    {
        if (_kernelRules.Count == 0) return;
        IReadOnlyDictionary<string, KernelCounters> read;
        try
        {
            read = await _kernel.ReadCountersAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Warn("cannot read kernel forwarding counters", ex);
            return;
        }

        foreach (var (id, rule) in _kernelRules)
        {
            if (!read.TryGetValue(id, out var k) || !_counters.TryGetValue(id, out var counters)) continue;
            counters.Set(rule.Base.BytesIn + k.BytesIn, rule.Base.BytesOut + k.BytesOut, k.ConnectionsActive, rule.Base.ConnectionsTotal + k.ConnectionsTotal);
        }
    }

    private List<ForwardPlacementStats> Snapshot()
    {
        var stats = new List<ForwardPlacementStats>();
        lock (_rules)
        {
            foreach (var rule in _rules.Values) stats.Add(rule.Stats());
            foreach (var rule in _kernelRules.Values)
            {
                var c = _counters[rule.RuleId];
                stats.Add(new ForwardPlacementStats
                {
                    RuleId = rule.RuleId,
                    Status = rule.Error is not null ? ForwardStatuses.Error : ForwardStatuses.Active,
                    Error = rule.Error,
                    BytesIn = c.BytesIn,
                    BytesOut = c.BytesOut,
                    ConnectionsActive = c.ConnectionsActive,
                    ConnectionsTotal = c.ConnectionsTotal,
                });
            }
        }

        return stats;
    }

    private async Task FlushLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await _gate.WaitAsync(ct);
                try
                {
                    var now = _time.GetUtcNow();
                    foreach (var counters in _counters.Values) counters.RollQuotaPeriod(now);
                    await RefreshKernelCountersAsync(ct);
                    SaveCounters();
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void SaveCounters()
    {
        var file = new ForwardCountersFile();
        foreach (var (id, counters) in _counters) file.Rules[id] = counters.Snapshot();
        try
        {
            _store.SaveCounters(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.Warn($"cannot save forwarding counters: {ex.Message}");
        }
    }

    /// <summary>Stops every userspace placement and saves the counters; kernel rules stay until the next start resets them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _flushing;
        await _gate.WaitAsync();
        try
        {
            foreach (var rule in _rules.Values) await rule.DisposeAsync();
            lock (_rules) _rules.Clear();
            if (Allowed && _counters.Count > 0) SaveCounters();
            _credentials?.Dispose();
        }
        finally
        {
            _gate.Release();
        }

        _stop.Dispose();
    }

    /// <summary>A kernel-mode placement: its JSON (to tell changes), the counters it started from, and its install error.</summary>
    private sealed record KernelRule(string RuleId, string Json, ForwardCounterState Base, string? Error);
}
