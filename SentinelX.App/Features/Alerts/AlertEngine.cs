using System.Collections.Concurrent;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Probes;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Alerts;

/// <summary>What the engine decided: a rule started firing, stopped, or asks to be repeated.</summary>
public enum AlertChange
{
    Fire,
    Resolve,
    Repeat,

    /// <summary>Closed without a notification: the rule was deleted, disabled or changed, or the Node removed.</summary>
    Close,
}

/// <summary>One decision of the engine, handed to <see cref="AlertEventWriter"/> to store and notify.</summary>
public sealed record AlertTransition(AlertChange Change, AlertRule Rule, string NodeId, string NodeName, string Subject, AlertFacts Facts, DateTimeOffset At);

/// <summary>
/// Evaluates alert rules on the Core as data arrives: samples (metrics, traffic), connection changes
/// (offline), forward states, container lists, plus a one-second tick for what depends on time alone
/// (offline duration, expiry, repeats). State is per rule, Node and subject, in memory; what is firing
/// is also in the database (open events), loaded at start, so a restart neither repeats nor loses an
/// alert. It never waits on the database or a channel: decisions go to <see cref="AlertEventWriter"/>.
/// </summary>
public sealed class AlertEngine : ISampleObserver
{
    /// <summary>Samples older than this on arrival (a Node replaying its outbox after an outage) do not fire metric rules.</summary>
    public static readonly TimeSpan StaleSample = TimeSpan.FromMinutes(5);

    private readonly NodeRegistry _nodes;
    private readonly TrafficMeter _traffic;
    private readonly TimeProvider _time;
    private readonly IAlertSink _sink;
    private readonly Func<string, string> _probeNames;
    private readonly ConcurrentDictionary<string, NodeTrackers> _trackers = new(StringComparer.Ordinal);
    private volatile RuleSet _set = RuleSet.Empty;

    public AlertEngine(NodeRegistry nodes, TrafficMeter traffic, TimeProvider time, IAlertSink sink, ProbeStore? probes = null)
    {
        _probeNames = probes is null ? id => id : probes.NameOf;
        _nodes = nodes;
        _traffic = traffic;
        _time = time;
        _sink = sink;
    }

    public IReadOnlyList<AlertRule> Rules => _set.All;

    /// <summary>Installs the stored rules and what was firing when the Core stopped.</summary>
    public void Load(IEnumerable<AlertRule> rules, IEnumerable<AlertEventRecord> open)
    {
        _set = RuleSet.Of([.. rules]);
        foreach (var e in open)
        {
            var tracker = Trackers(e.NodeId).Get(e.RuleId, e.Subject);
            tracker.Firing = true;
            tracker.StartedAt = e.StartedAt;
            tracker.LastNotifiedAt = e.LastNotifiedAt;
        }
    }

    /// <summary>Adds or replaces a rule. A changed scope or condition closes what the old one had open.</summary>
    public void Put(AlertRule rule)
    {
        var old = _set.All.FirstOrDefault(r => r.Id == rule.Id);
        _set = RuleSet.Of([.. _set.All.Where(r => r.Id != rule.Id), rule]);
        if (old is not null && (old.Condition != rule.Condition || old.Scope != rule.Scope || (old.Enabled && !rule.Enabled)))
            CloseAll(rule, t => true);
    }

    public void Remove(string ruleId)
    {
        var old = _set.All.FirstOrDefault(r => r.Id == ruleId);
        _set = RuleSet.Of([.. _set.All.Where(r => r.Id != ruleId)]);
        if (old is not null) CloseAll(old, t => true);
    }

    /// <summary>Rule id → how many (Node, subject) pairs fire now.</summary>
    public IReadOnlyDictionary<string, int> FiringCounts()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in _trackers.Values)
        {
            lock (node.Lock)
                foreach (var ((rule, _), tracker) in node.ByRule)
                    if (tracker.Firing) counts[rule] = counts.GetValueOrDefault(rule) + 1;
        }

        return counts;
    }

    /// <summary>A Node's samples, in order, as they arrive (before they are stored).</summary>
    public void OnSamples(NodeState node, IReadOnlyList<MetricSample> samples)
    {
        var rules = _set.All;
        if (rules.Length == 0) return;
        var now = _time.GetUtcNow();
        var trackers = Trackers(node.Id);
        MonthTraffic? month = null;
        lock (trackers.Lock)
        {
            foreach (var rule in rules)
            {
                if (!rule.Enabled || !rule.Scope.Covers(node)) continue;
                switch (rule.Condition)
                {
                    case MetricCondition metric:
                        foreach (var sample in samples)
                            if (now - sample.Timestamp < StaleSample)
                                Evaluate(rule, metric, node, trackers.Get(rule.Id, ""), sample);
                        break;
                    case TrafficCondition traffic:
                        // Read once per batch however many traffic rules there are; null: not known yet.
                        month ??= node.TrafficQuotaBytes is > 0 && _traffic.TryGet(node, out var read) ? read : default(MonthTraffic?);
                        if (month is { } m) EvaluateTraffic(rule, traffic, node, trackers.Get(rule.Id, ""), m, now);
                        break;
                    case ProbeCondition probe:
                        foreach (var result in Results(samples, probe.ProbeId, now))
                            EvaluateProbe(rule, probe, node, trackers.Get(rule.Id, probe.ProbeId), result);
                        break;
                    case CertificateCondition certificate:
                        foreach (var result in Results(samples, certificate.ProbeId, now))
                            EvaluateCertificate(rule, certificate, node, trackers.Get(rule.Id, certificate.ProbeId), result, now);
                        break;
                }
            }
        }
    }

    /// <summary>Time-driven checks: offline duration, expiry, repeats and mute ends. Called every second.</summary>
    public void Tick()
    {
        var now = _time.GetUtcNow();
        var set = _set;
        var rules = set.All;
        // No rules and nothing tracked: nothing to do, not even a lock per Node.
        if (rules.Length == 0 && _trackers.IsEmpty) return;
        // Only offline and expiry rules and repeats depend on time alone; without them the Nodes are not visited.
        if (set.Timed.Length > 0 || set.Repeating)
        {
            foreach (var node in _nodes.All)
            {
                if (node.Revoked) continue;
                var trackers = Trackers(node.Id);
                lock (trackers.Lock)
                {
                    foreach (var rule in set.Timed)
                    {
                        if (!rule.Enabled || !rule.Scope.Covers(node)) continue;
                        switch (rule.Condition)
                        {
                            case OfflineCondition offline:
                                EvaluateOffline(rule, offline, node, trackers.Get(rule.Id, ""), now);
                                break;
                            case ExpiryCondition expiry:
                                EvaluateExpiry(rule, expiry, node, trackers.Get(rule.Id, ""), now);
                                break;
                        }
                    }

                    if (set.Repeating) Repeat(trackers, rules, node, now);
                }
            }
        }

        // Trackers of Nodes that were removed close quietly.
        foreach (var id in _trackers.Keys)
            if (_nodes.Find(id) is null && _trackers.TryRemove(id, out var gone))
                CloseNode(id, gone, rules);
    }

    /// <summary>A forward rule's state on a Node changed (<c>active</c>, <c>pending</c>, <c>error</c>, <c>quota-blocked</c>).</summary>
    public void OnForwardState(string forwardId, string forwardName, string nodeId, string status, string? error)
    {
        var node = _nodes.Find(nodeId);
        if (node is null) return;
        var now = _time.GetUtcNow();
        var trackers = Trackers(nodeId);
        lock (trackers.Lock)
        {
            foreach (var rule in _set.All)
            {
                if (!rule.Enabled || rule.Condition is not ForwardCondition f || f.ForwardId != forwardId || !rule.Scope.Covers(node)) continue;
                var bad = status is "error" or "quota-blocked";
                var detail = error is { Length: > 0 } ? $"{status}: {Cut(error)}" : status;
                var facts = new AlertFacts(ForwardCondition.KindName, null, null) { SubjectName = forwardName, Detail = detail };
                // "pending" (the Node is away or has not answered yet) neither fires nor resolves.
                if (bad) Fire(rule, node, trackers.Get(rule.Id, forwardId), forwardId, facts, now);
                else if (status == "active") Resolve(rule, node, trackers.Get(rule.Id, forwardId), forwardId, facts, now);
            }
        }
    }

    /// <summary>
    /// The containers a Node has now (name → state, e.g. "running", "exited"), for container rules;
    /// see <see cref="ContainerWatch"/>.
    /// </summary>
    public void OnContainers(NodeState node, IReadOnlyDictionary<string, string> states)
    {
        var now = _time.GetUtcNow();
        var trackers = Trackers(node.Id);
        lock (trackers.Lock)
        {
            foreach (var rule in _set.All)
            {
                if (!rule.Enabled || rule.Condition is not ContainerCondition c || !rule.Scope.Covers(node)) continue;
                var state = states.GetValueOrDefault(c.Name) ?? "missing";
                var facts = new AlertFacts(ContainerCondition.KindName, null, null) { SubjectName = c.Name, Detail = Cut(state) };
                var tracker = trackers.Get(rule.Id, c.Name);
                if (state == "running") Resolve(rule, node, tracker, c.Name, facts, now);
                else Fire(rule, node, tracker, c.Name, facts, now);
            }
        }
    }

    /// <summary>Container rules that cover <paramref name="node"/>: the containers to watch there.</summary>
    public IReadOnlyList<string> WatchedContainers(NodeState node) =>
        [.. _set.All.Where(r => r.Enabled && r.Condition is ContainerCondition && r.Scope.Covers(node)).Select(r => ((ContainerCondition)r.Condition).Name).Distinct()];

    /// <summary>The value a metric rule reads from a sample; null when the sample has no such figure.</summary>
    public static double? Read(MetricSample s, string metric) => metric switch
    {
        "cpuPercent" => s.CpuPercent,
        "memPercent" => Percent(s.MemUsedBytes, s.MemTotalBytes),
        "swapPercent" => s.SwapTotalBytes > 0 ? Percent(s.SwapUsedBytes, s.SwapTotalBytes) : 0,
        "diskPercent" => Percent(s.DiskUsedBytes, s.DiskTotalBytes),
        "load1" => s.Load1,
        "load5" => s.Load5,
        "load15" => s.Load15,
        "netRxBps" => s.NetRxBps,
        "netTxBps" => s.NetTxBps,
        "tcpConnections" => s.TcpConnections,
        "processes" => s.Processes,
        "temperature" => s.Temperatures is { Count: > 0 } t ? t.Max(r => r.Celsius) : null,
        _ when metric.StartsWith("temperature:", StringComparison.Ordinal) =>
            s.Temperatures?.FirstOrDefault(r => r.Sensor == metric[12..])?.Celsius,
        _ => null,
    };

    private static double? Percent(long used, long total) => total > 0 ? Math.Round(100.0 * used / total, 2) : null;

    private void Evaluate(AlertRule rule, MetricCondition c, NodeState node, Tracker tracker, MetricSample sample)
    {
        if (Read(sample, c.Metric) is not { } value) return;
        var at = sample.Timestamp;
        var atMs = at.ToUnixTimeMilliseconds();
        if (c.AvgMinutes is { } minutes)
        {
            tracker.Window ??= new AlertWindow(TimeSpan.FromMinutes(minutes));
            tracker.Window.Add(atMs, value);
            if (!tracker.Window.IsFull(atMs) || tracker.Window.Average(atMs) is not { } avg) return;
            if (!Changes(rule, tracker, c.Breaches(avg))) return;
            var facts = new AlertFacts(c.Kind, Math.Round(avg, 2), c.Threshold) { Metric = c.Metric, Op = c.Op, Window = minutes, Averaged = true };
            if (c.Breaches(avg)) Fire(rule, node, tracker, "", facts, at);
            else Resolve(rule, node, tracker, "", facts, at);
            return;
        }

        if (c.Breaches(value))
        {
            tracker.Since ??= atMs;
            if (atMs - tracker.Since.Value >= (c.ForSeconds ?? 0) * 1000L && Changes(rule, tracker, true)) Fire(rule, node, tracker, "", Held(c, value), at);
        }
        else
        {
            tracker.Since = null;
            if (tracker.Firing) Resolve(rule, node, tracker, "", Held(c, value), at);
        }
    }

    private static AlertFacts Held(MetricCondition c, double value) =>
        new(c.Kind, Math.Round(value, 2), c.Threshold) { Metric = c.Metric, Op = c.Op, Window = c.ForSeconds };

    /// <summary>
    /// False when <see cref="Fire"/> or <see cref="Resolve"/> would do nothing with the facts: the
    /// state stays as it is and no repeat needs the latest figures. Keeps the steady state (most
    /// samples, most ticks) from allocating.
    /// </summary>
    private static bool Changes(AlertRule rule, Tracker tracker, bool bad) => bad ? !tracker.Firing || rule.RepeatMinutes > 0 : tracker.Firing;

    /// <summary>A probe's results in these samples, oldest first, leaving out stale replays.</summary>
    private static IEnumerable<ProbeResult> Results(IReadOnlyList<MetricSample> samples, string probeId, DateTimeOffset now)
    {
        foreach (var sample in samples)
        {
            if (sample.Probes is not { Count: > 0 } results) continue;
            foreach (var result in results)
                if (result.ProbeId == probeId && now - result.At < StaleSample)
                    yield return result;
        }
    }

    private void EvaluateProbe(AlertRule rule, ProbeCondition c, NodeState node, Tracker tracker, ProbeResult result)
    {
        var bad = !result.Ok || (c.LatencyMs is { } limit && result.LatencyMs > limit);
        var facts = new AlertFacts(c.Kind, result.LatencyMs is { } l ? Math.Round(l, 1) : null, c.LatencyMs)
        {
            SubjectName = _probeNames(c.ProbeId), Window = c.Checks, Detail = result.Ok ? null : Cut(result.Error ?? "failed"),
        };
        if (!bad)
        {
            tracker.Count = 0;
            Resolve(rule, node, tracker, c.ProbeId, facts, result.At);
            return;
        }

        if (++tracker.Count >= c.Checks) Fire(rule, node, tracker, c.ProbeId, facts, result.At);
    }

    private void EvaluateCertificate(AlertRule rule, CertificateCondition c, NodeState node, Tracker tracker, ProbeResult result, DateTimeOffset now)
    {
        if (result.CertificateExpiresAt is not { } expires) return;
        var days = Math.Floor((expires - now).TotalDays);
        var facts = new AlertFacts(c.Kind, days, c.Days) { SubjectName = _probeNames(c.ProbeId) };
        if (days <= c.Days) Fire(rule, node, tracker, c.ProbeId, facts, result.At);
        else Resolve(rule, node, tracker, c.ProbeId, facts, result.At);
    }

    /// <summary>Without a quota, or before the month's stored part has been read, there is nothing to compare: the caller skips.</summary>
    private void EvaluateTraffic(AlertRule rule, TrafficCondition c, NodeState node, Tracker tracker, MonthTraffic month, DateTimeOffset now)
    {
        if (node.TrafficQuotaBytes is not > 0) return;
        var used = c.Direction switch { "in" => month.RxBytes, "out" => month.TxBytes, _ => month.Total };
        var percent = Math.Round(100.0 * used / node.TrafficQuotaBytes.Value, 2);
        var over = percent >= c.Percent;
        if (!Changes(rule, tracker, over)) return;
        var facts = new AlertFacts(c.Kind, percent, c.Percent) { Metric = c.Direction };
        if (over) Fire(rule, node, tracker, "", facts, now);
        else Resolve(rule, node, tracker, "", facts, now);
    }

    private void EvaluateOffline(AlertRule rule, OfflineCondition c, NodeState node, Tracker tracker, DateTimeOffset now)
    {
        if (node.Online)
        {
            if (tracker.Firing) Resolve(rule, node, tracker, "", new AlertFacts(c.Kind, 0, c.ForSeconds), now);
            return;
        }

        // A Node that never connected is waiting to be installed, not down.
        if (node.LastSeenAt <= 0) return;
        var seconds = (now.ToUnixTimeMilliseconds() - node.LastSeenAt) / 1000.0;
        if (seconds >= c.ForSeconds && Changes(rule, tracker, true)) Fire(rule, node, tracker, "", new AlertFacts(c.Kind, Math.Round(seconds), c.ForSeconds), now);
    }

    private void EvaluateExpiry(AlertRule rule, ExpiryCondition c, NodeState node, Tracker tracker, DateTimeOffset now)
    {
        if (node.ExpiresAt is not { } expires)
        {
            if (tracker.Firing) Resolve(rule, node, tracker, "", new AlertFacts(c.Kind, null, c.Days), now);
            return;
        }

        var days = Math.Ceiling((expires - now.ToUnixTimeMilliseconds()) / 86_400_000.0);
        if (!Changes(rule, tracker, days <= c.Days)) return;
        var facts = new AlertFacts(c.Kind, days, c.Days);
        if (days <= c.Days) Fire(rule, node, tracker, "", facts, now);
        else Resolve(rule, node, tracker, "", facts, now);
    }

    private void Repeat(NodeTrackers trackers, AlertRule[] rules, NodeState node, DateTimeOffset now)
    {
        foreach (var ((ruleId, subject), tracker) in trackers.ByRule)
        {
            if (!tracker.Firing || tracker.LastFacts is null) continue;
            var rule = rules.FirstOrDefault(r => r.Id == ruleId);
            if (rule is not { RepeatMinutes: > 0 }) continue;
            var nowMs = now.ToUnixTimeMilliseconds();
            if (nowMs - tracker.LastNotifiedAt < rule.RepeatMinutes * 60_000L) continue;
            tracker.LastNotifiedAt = nowMs;
            _sink.Post(new AlertTransition(AlertChange.Repeat, rule, node.Id, node.Name, subject, tracker.LastFacts, now));
        }
    }

    private void Fire(AlertRule rule, NodeState node, Tracker tracker, string subject, AlertFacts facts, DateTimeOffset at)
    {
        tracker.LastFacts = facts;
        if (tracker.Firing) return;
        tracker.Firing = true;
        tracker.StartedAt = at.ToUnixTimeMilliseconds();
        tracker.LastNotifiedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _sink.Post(new AlertTransition(AlertChange.Fire, rule, node.Id, node.Name, subject, facts, at));
    }

    private void Resolve(AlertRule rule, NodeState node, Tracker tracker, string subject, AlertFacts facts, DateTimeOffset at)
    {
        if (!tracker.Firing) return;
        tracker.Firing = false;
        tracker.Since = null;
        tracker.LastFacts = null;
        _sink.Post(new AlertTransition(AlertChange.Resolve, rule, node.Id, node.Name, subject, facts, at));
    }

    private void CloseAll(AlertRule rule, Func<Tracker, bool> which)
    {
        var now = _time.GetUtcNow();
        foreach (var (nodeId, trackers) in _trackers)
        {
            lock (trackers.Lock)
            {
                foreach (var key in trackers.ByRule.Keys.Where(k => k.Rule == rule.Id).ToList())
                {
                    var tracker = trackers.ByRule[key];
                    trackers.ByRule.Remove(key);
                    if (tracker.Firing && which(tracker))
                        _sink.Post(new AlertTransition(AlertChange.Close, rule, nodeId, _nodes.Find(nodeId)?.Name ?? nodeId, key.Subject, new AlertFacts(rule.Condition.Kind, null, null), now));
                }
            }
        }
    }

    private void CloseNode(string nodeId, NodeTrackers trackers, AlertRule[] rules)
    {
        var now = _time.GetUtcNow();
        lock (trackers.Lock)
        {
            foreach (var ((ruleId, subject), tracker) in trackers.ByRule)
            {
                if (!tracker.Firing || rules.FirstOrDefault(r => r.Id == ruleId) is not { } rule) continue;
                _sink.Post(new AlertTransition(AlertChange.Close, rule, nodeId, nodeId, subject, new AlertFacts(rule.Condition.Kind, null, null), now));
            }
        }
    }

    private NodeTrackers Trackers(string nodeId) => _trackers.GetOrAdd(nodeId, _ => new NodeTrackers());

    private static string Cut(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private sealed class NodeTrackers
    {
        public readonly Lock Lock = new();
        public readonly Dictionary<(string Rule, string Subject), Tracker> ByRule = [];

        public Tracker Get(string rule, string subject)
        {
            if (!ByRule.TryGetValue((rule, subject), out var tracker))
                ByRule[(rule, subject)] = tracker = new Tracker();
            return tracker;
        }
    }

    private sealed class Tracker
    {
        public bool Firing;
        public long StartedAt;
        public long LastNotifiedAt;

        /// <summary>Unix ms the condition became true (held metric conditions).</summary>
        public long? Since;

        public AlertWindow? Window;

        /// <summary>Consecutive bad probe checks.</summary>
        public int Count;

        public AlertFacts? LastFacts;
    }
}

/// <summary>The rules in force, with what the one-second tick needs picked out once per change.</summary>
internal sealed record RuleSet(AlertRule[] All, AlertRule[] Timed, bool Repeating)
{
    public static readonly RuleSet Empty = Of([]);

    public static RuleSet Of(AlertRule[] rules) => new(
        rules,
        [.. rules.Where(r => r.Condition is OfflineCondition or ExpiryCondition)],
        rules.Any(r => r.RepeatMinutes > 0));
}

/// <summary>Where the engine posts its decisions; never blocks.</summary>
public interface IAlertSink
{
    void Post(AlertTransition transition);
}
