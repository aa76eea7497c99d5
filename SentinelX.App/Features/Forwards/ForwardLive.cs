using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// What the Core knows about its rules right now: each rule as stored (with running totals) and
/// each placement's last reported state. One lock guards it; every critical section is short.
/// </summary>
public sealed class ForwardLive
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ForwardRule> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Rule, string Node), PlacementState> _placements = [];
    private readonly Dictionary<string, EntryState> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// A placement's state; <see cref="ForwardStatuses.Pending"/> until its Node answers. The numbers
    /// are that Node's own for its part of the rule (bytes since the placement first ran there), so a
    /// chain shows where connections stop; targets down come from the Node that dials the targets.
    /// </summary>
    public sealed record PlacementState(string Status, string? Error)
    {
        public int ConnectionsActive { get; init; }
        public long BytesIn { get; init; }
        public long BytesOut { get; init; }
        public IReadOnlyList<string> TargetsDown { get; init; } = [];
    }

    /// <summary>The entry's live numbers: open connections, quota and rates (bytes/s).</summary>
    public sealed record EntryState(int ConnectionsActive, long QuotaUsedBytes, bool QuotaReached, double RateIn, double RateOut, long At);

    public bool Loaded { get; private set; }

    public void Load(IEnumerable<ForwardRule> rules)
    {
        lock (_lock)
        {
            foreach (var rule in rules) _rules[rule.Id] = rule;
            Loaded = true;
        }
    }

    /// <summary>Copies of every rule (safe to read while reports arrive).</summary>
    public IReadOnlyList<ForwardRule> Rules()
    {
        lock (_lock) return [.. _rules.Values.Select(r => r.Clone())];
    }

    public ForwardRule? Find(string id)
    {
        lock (_lock) return _rules.TryGetValue(id, out var rule) ? rule.Clone() : null;
    }

    /// <summary>Stores new settings; the totals already counted are kept (reports may have arrived meanwhile).</summary>
    public void Put(ForwardRule rule)
    {
        lock (_lock)
        {
            if (_rules.TryGetValue(rule.Id, out var old))
            {
                rule.BytesIn = old.BytesIn;
                rule.BytesOut = old.BytesOut;
                rule.ConnectionsTotal = old.ConnectionsTotal;
                rule.ReportedBytesIn = old.ReportedBytesIn;
                rule.ReportedBytesOut = old.ReportedBytesOut;
                rule.ReportedConnections = old.ReportedConnections;
                var nodes = rule.NodeIds();
                foreach (var key in _placements.Keys.Where(k => k.Rule == rule.Id && !nodes.Contains(k.Node)).ToList()) _placements.Remove(key);
                if (old.NodeId != rule.NodeId)
                {
                    // Another entry Node counts from its own zero: its first report is all new traffic.
                    _entries.Remove(rule.Id);
                    (rule.ReportedBytesIn, rule.ReportedBytesOut, rule.ReportedConnections) = (0, 0, 0);
                }
            }

            _rules[rule.Id] = rule.Clone();
        }
    }

    public void Remove(string id)
    {
        lock (_lock)
        {
            _rules.Remove(id);
            _entries.Remove(id);
            foreach (var key in _placements.Keys.Where(k => k.Rule == id).ToList()) _placements.Remove(key);
        }
    }

    /// <summary>Rule ids with a placement on <paramref name="nodeId"/>.</summary>
    public IReadOnlyList<ForwardRule> RulesOn(string nodeId)
    {
        lock (_lock) return [.. _rules.Values.Where(r => r.NodeIds().Contains(nodeId)).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).Select(r => r.Clone())];
    }

    public PlacementState Placement(string ruleId, string nodeId)
    {
        lock (_lock)
            return _placements.GetValueOrDefault((ruleId, nodeId)) ?? new PlacementState(ForwardStatuses.Pending, null);
    }

    /// <summary>
    /// Raised (outside the lock) when a placement's status or error changes: rule id, rule name, Node
    /// id, status, error. Alert rules on forwards listen; handlers must be quick.
    /// </summary>
    public event Action<string, string, string, string, string?>? StatusChanged;

    public void SetPlacement(string ruleId, string nodeId, string status, string? error, ForwardPlacementStats? stats = null)
    {
        string? changedName = null;
        lock (_lock)
        {
            if (!_rules.TryGetValue(ruleId, out var rule)) return;
            var before = _placements.GetValueOrDefault((ruleId, nodeId));
            if (before is null || before.Status != status || before.Error != error) changedName = rule.Name;
            var state = new PlacementState(status, error);
            if (stats is not null)
            {
                state = state with
                {
                    ConnectionsActive = stats.ConnectionsActive,
                    BytesIn = stats.BytesIn,
                    BytesOut = stats.BytesOut,
                    TargetsDown = stats.TargetsDown ?? [],
                };
            }

            _placements[(ruleId, nodeId)] = state;
        }

        if (changedName is not null) StatusChanged?.Invoke(ruleId, changedName, nodeId, status, error);
    }

    /// <summary>Marks every placement on <paramref name="nodeId"/> pending with <paramref name="error"/>; true when any changed.</summary>
    public bool SetNode(string nodeId, string status, string? error)
    {
        var changedRules = new List<(string Id, string Name)>();
        lock (_lock)
        {
            foreach (var rule in _rules.Values.Where(r => r.NodeIds().Contains(nodeId)))
            {
                var state = new PlacementState(status, error);
                if (_placements.GetValueOrDefault((rule.Id, nodeId)) == state) continue;
                _placements[(rule.Id, nodeId)] = state;
                changedRules.Add((rule.Id, rule.Name));
            }

            if (changedRules.Count > 0)
                foreach (var rule in _rules.Values.Where(r => r.NodeId == nodeId)) _entries.Remove(rule.Id);
        }

        foreach (var (id, name) in changedRules) StatusChanged?.Invoke(id, name, nodeId, status, error);
        return changedRules.Count > 0;
    }

    public EntryState? Entry(string ruleId)
    {
        lock (_lock) return _entries.GetValueOrDefault(ruleId);
    }

    /// <summary>
    /// Applies the entry Node's report for one rule: returns what is new since the last report (to
    /// store), or null when the rule is gone, <paramref name="nodeId"/> is not its entry, or the
    /// counters did not move (nothing to store).
    /// </summary>
    public ForwardCounters? ApplyEntryReport(string nodeId, ForwardPlacementStats stats, long nowMs)
    {
        lock (_lock)
        {
            if (!_rules.TryGetValue(stats.RuleId, out var rule) || rule.NodeId != nodeId) return null;
            var current = new ForwardCounters(stats.BytesIn, stats.BytesOut, stats.ConnectionsTotal);
            var last = new ForwardCounters(rule.ReportedBytesIn, rule.ReportedBytesOut, rule.ReportedConnections);
            var delta = ForwardCounters.Delta(last, current);
            rule.BytesIn += delta.BytesIn;
            rule.BytesOut += delta.BytesOut;
            rule.ConnectionsTotal += delta.Connections;
            (rule.ReportedBytesIn, rule.ReportedBytesOut, rule.ReportedConnections) = (current.BytesIn, current.BytesOut, current.Connections);

            var previous = _entries.GetValueOrDefault(rule.Id);
            double rateIn = 0, rateOut = 0;
            if (previous is not null && nowMs > previous.At)
            {
                var seconds = (nowMs - previous.At) / 1000.0;
                rateIn = delta.BytesIn / seconds;
                rateOut = delta.BytesOut / seconds;
            }

            _entries[rule.Id] = new EntryState(stats.ConnectionsActive, stats.QuotaUsedBytes, stats.QuotaReached, rateIn, rateOut, nowMs);
            return current == last ? null : delta;
        }
    }
}
