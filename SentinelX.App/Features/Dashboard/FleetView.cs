using SentinelX.App.Features.Nodes;
using SentinelX.App.Ui;

namespace SentinelX.App.Features.Dashboard;

/// <summary>Totals over the whole fleet for the summary bar.</summary>
public readonly record struct FleetSummary(int Nodes, int Online, double RxBps, double TxBps, long TrafficBytes, double CpuAverage);

/// <summary>
/// What the dashboard shows: the Nodes that match the search and filters, in the chosen order,
/// plus fleet totals. Rebuilt in place on each refresh (the lists are reused, so a refresh every
/// 250 ms with 500 Nodes allocates almost nothing).
/// </summary>
public sealed class FleetView
{
    public const string Online = "online";
    public const string Offline = "offline";

    /// <summary>Sort keys, also the column ids of the table.</summary>
    public static readonly IReadOnlyList<string> SortKeys = ["name", "status", "region", "group", "cpu", "memory", "disk", "network", "traffic", "uptime", "load"];

    private readonly Dictionary<string, MonthTraffic> _traffic = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tagSet = new(StringComparer.Ordinal);
    private readonly HashSet<string> _groupSet = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _costs = new(StringComparer.Ordinal);
    private readonly Comparison<NodeState> _compare;

    public FleetView() => _compare = Compare;

    public string Search { get; set; } = "";
    public string Tag { get; set; } = "";
    public string Group { get; set; } = "";

    /// <summary>"", <see cref="Online"/> or <see cref="Offline"/>.</summary>
    public string Status { get; set; } = "";
    public string SortBy { get; set; } = "name";
    public bool Descending { get; set; }

    public List<NodeState> Rows { get; } = [];
    public List<string> Tags { get; } = [];
    public List<string> Groups { get; } = [];
    public FleetSummary Summary { get; private set; }

    /// <summary>What the whole fleet costs a month, per currency, largest first; one-time and unpriced servers are left out.</summary>
    public List<(string Currency, decimal Monthly)> Costs { get; } = [];

    public MonthTraffic TrafficOf(NodeState node) => _traffic.GetValueOrDefault(node.Id);

    /// <summary>Clicking the current sort column flips the direction; another column sorts ascending (numbers: highest first).</summary>
    public void ToggleSort(string key)
    {
        if (!SortKeys.Contains(key)) return;
        if (SortBy == key) Descending = !Descending;
        else
        {
            SortBy = key;
            Descending = key is not ("name" or "region" or "group");
        }
    }

    public void Refresh(IEnumerable<NodeState> all, Func<NodeState, MonthTraffic> traffic)
    {
        Rows.Clear();
        _traffic.Clear();
        _tagSet.Clear();
        _groupSet.Clear();
        _costs.Clear();
        int total = 0, online = 0;
        double rx = 0, tx = 0, cpu = 0;
        long bytes = 0;
        var search = Search.Trim();
        foreach (var node in all)
        {
            total++;
            var month = traffic(node);
            _traffic[node.Id] = month;
            bytes += month.Total;
            foreach (var tag in node.Tags) _tagSet.Add(tag);
            if (node.GroupName.Length > 0) _groupSet.Add(node.GroupName);
            if (node.Billing.MonthlyCost is { } cost) _costs[node.Billing.Currency] = _costs.GetValueOrDefault(node.Billing.Currency) + cost;
            if (node.Online)
            {
                online++;
                if (node.Latest is { } m)
                {
                    rx += m.NetRxBps;
                    tx += m.NetTxBps;
                    cpu += m.CpuPercent;
                }
            }
            if (Matches(node, search)) Rows.Add(node);
        }
        Rows.Sort(_compare);
        Fill(Tags, _tagSet);
        Fill(Groups, _groupSet);
        Costs.Clear();
        foreach (var (currency, monthly) in _costs) Costs.Add((currency, monthly));
        Costs.Sort((a, b) => a.Monthly != b.Monthly ? b.Monthly.CompareTo(a.Monthly) : string.CompareOrdinal(a.Currency, b.Currency));
        Summary = new FleetSummary(total, online, rx, tx, bytes, online == 0 ? 0 : cpu / online);
    }

    private bool Matches(NodeState node, string search)
    {
        if (Status == Online && !node.Online) return false;
        if (Status == Offline && node.Online) return false;
        if (Group.Length > 0 && !string.Equals(node.GroupName, Group, StringComparison.Ordinal)) return false;
        if (Tag.Length > 0 && !Contains(node.Tags, Tag)) return false;
        if (search.Length == 0) return true;
        if (Has(node.Name, search) || Has(node.GroupName, search) || Has(node.Os, search) || Has(node.RemoteAddress, search) || Has(node.Region, search))
            return true;
        foreach (var tag in node.Tags)
        {
            if (Has(tag, search)) return true;
        }
        if (node.System is { } system)
        {
            if (Has(system.Os, search) || Has(system.Hostname, search)) return true;
            foreach (var ip in system.PublicIps)
            {
                if (Has(ip, search)) return true;
            }
        }
        return false;
    }

    private int Compare(NodeState a, NodeState b)
    {
        var order = SortBy switch
        {
            "status" => a.Online.CompareTo(b.Online),
            "region" => string.Compare(a.Region, b.Region, StringComparison.OrdinalIgnoreCase),
            "group" => string.Compare(a.GroupName, b.GroupName, StringComparison.OrdinalIgnoreCase),
            "cpu" => Value(a, m => m.CpuPercent).CompareTo(Value(b, m => m.CpuPercent)),
            "memory" => Value(a, m => Units.Percent(m.MemUsedBytes, m.MemTotalBytes)).CompareTo(Value(b, m => Units.Percent(m.MemUsedBytes, m.MemTotalBytes))),
            "disk" => Value(a, m => Units.Percent(m.DiskUsedBytes, m.DiskTotalBytes)).CompareTo(Value(b, m => Units.Percent(m.DiskUsedBytes, m.DiskTotalBytes))),
            "network" => Value(a, m => m.NetRxBps + m.NetTxBps).CompareTo(Value(b, m => m.NetRxBps + m.NetTxBps)),
            "traffic" => TrafficOf(a).Total.CompareTo(TrafficOf(b).Total),
            "uptime" => Value(a, m => m.UptimeSeconds).CompareTo(Value(b, m => m.UptimeSeconds)),
            "load" => Value(a, m => m.Load1).CompareTo(Value(b, m => m.Load1)),
            _ => 0,
        };
        if (Descending) order = -order;
        if (order != 0) return order;
        order = string.Compare(a.Name, b.Name, StringComparison.OrdinalIgnoreCase);
        if (SortBy == "name" && Descending) order = -order;
        return order != 0 ? order : string.CompareOrdinal(a.Id, b.Id);
    }

    // Offline Nodes sort as "no value", below every online figure.
    private static double Value(NodeState node, Func<Shared.Metrics.MetricSample, double> pick) =>
        node.Online && node.Latest is { } m ? pick(m) : -1;

    private static bool Has(string? text, string search) => text is not null && text.Contains(search, StringComparison.OrdinalIgnoreCase);

    private static bool Contains(IReadOnlyList<string> tags, string tag)
    {
        foreach (var t in tags)
        {
            if (string.Equals(t, tag, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private static void Fill(List<string> target, HashSet<string> source)
    {
        if (target.Count == source.Count && source.SetEquals(target)) return;
        target.Clear();
        target.AddRange(source);
        target.Sort(StringComparer.OrdinalIgnoreCase);
    }
}
