using System.Text;
using System.Text.Json;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>
/// Kernel rules in one nftables table, <c>ip sentinelx</c>, that the Node owns alone. Byte counters
/// are named counter objects: they survive the chain flush every apply does, so a re-push keeps the
/// totals. NAT chains see only the first packet of a flow, so the counter on the DNAT rule counts
/// connections, and bytes are counted in filter chains by conntrack's original/reply direction.
/// </summary>
internal sealed class NftablesFirewall(KernelCommands commands) : IKernelFirewall
{
    public const string Table = "sentinelx";

    // Filter chains on all three hooks: a packet passes exactly one of them, so client → target
    // bytes are counted once whether the client, the target, both or neither are on this box.
    private static readonly (string Name, string Declaration)[] Chains =
    [
        ("prerouting", "type nat hook prerouting priority -100; policy accept;"),
        ("output", "type nat hook output priority -100; policy accept;"),
        ("postrouting", "type nat hook postrouting priority 100; policy accept;"),
        ("forward", "type filter hook forward priority 0; policy accept;"),
        ("input", "type filter hook input priority 0; policy accept;"),
        ("localout", "type filter hook output priority 0; policy accept;"),
    ];

    public async Task<string?> ResetAsync(CancellationToken ct)
    {
        // Declaring the table first makes the delete succeed when there is none.
        var result = await commands.RunAsync(["nft", "-f", "-"], $"table ip {Table} {{}}\ndelete table ip {Table}\n", ct);
        return result.Ok ? null : result.Reason;
    }

    public async Task<string?> ApplyAsync(IReadOnlyList<KernelRule> rules, CancellationToken ct)
    {
        var existing = await ReadCounterObjectsAsync(ct);
        var script = new StringBuilder(Declarations());
        foreach (var (name, _) in Chains) script.Append($"flush chain ip {Table} {name}\n");
        foreach (var rule in rules) AppendRule(script, rule);

        var wanted = rules.SelectMany(r => CounterNames(r)).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in existing.Keys.Where(n => !wanted.Contains(n)))
            script.Append($"delete counter ip {Table} {stale}\n");

        var result = await commands.RunAsync(["nft", "-f", "-"], script.ToString(), ct);
        return result.Ok ? null : result.Reason;
    }

    public async Task<string?> CheckAsync(KernelRule rule, CancellationToken ct)
    {
        var script = new StringBuilder(Declarations());
        AppendRule(script, rule);
        var result = await commands.RunAsync(["nft", "-c", "-f", "-"], script.ToString(), ct);
        return result.Ok ? null : result.Reason;
    }

    public async Task<IReadOnlyDictionary<string, FirewallCounters>> ReadAsync(CancellationToken ct)
    {
        var totals = new Dictionary<string, FirewallCounters>(StringComparer.Ordinal);
        foreach (var (_, counter) in await ReadCounterObjectsAsync(ct))
        {
            if (counter.RuleId is null) continue;
            var current = totals.GetValueOrDefault(counter.RuleId);
            totals[counter.RuleId] = counter.Kind switch
            {
                "in" => current with { BytesIn = counter.Bytes },
                "out" => current with { BytesOut = counter.Bytes },
                "conn" => current with { Connections = counter.Packets },
                _ => current,
            };
        }

        return totals;
    }

    /// <summary>The nft script for one rule: its three counter objects and its rules, each tagged with the rule id.</summary>
    internal static void AppendRule(StringBuilder script, KernelRule rule)
    {
        var name = rule.CounterName;
        script.Append($"add counter ip {Table} {name}_in {{ comment \"{rule.Tag} in\"; }}\n");
        script.Append($"add counter ip {Table} {name}_out {{ comment \"{rule.Tag} out\"; }}\n");
        script.Append($"add counter ip {Table} {name}_conn {{ comment \"{rule.Tag} conn\"; }}\n");

        var comment = $"comment \"{rule.Tag}\"";
        var listen = rule.ListenAddress is null ? "fib daddr type local" : $"ip daddr {rule.ListenAddress}";
        var original = rule.ListenAddress is null ? "" : $" ct original ip daddr {rule.ListenAddress}";
        var dnat = rule.Targets.Count == 1
            ? $"dnat to {rule.Targets[0]}"
            : $"dnat to numgen inc mod {rule.Targets.Count} map {{ {string.Join(", ", rule.Targets.Select((t, i) => $"{i} : {t.Address} . {t.Port}"))} }}";

        foreach (var protocol in rule.Protocols)
        {
            var ours = $"ct status dnat meta l4proto {protocol} ct original proto-dst {rule.ListenPort}{original}";
            foreach (var chain in (ReadOnlySpan<string>)["prerouting", "output"])
                script.Append($"add rule ip {Table} {chain} {listen} {protocol} dport {rule.ListenPort} counter name \"{name}_conn\" {dnat} {comment}\n");
            script.Append($"add rule ip {Table} postrouting {ours} masquerade {comment}\n");
            foreach (var chain in (ReadOnlySpan<string>)["forward", "input", "localout"])
            {
                script.Append($"add rule ip {Table} {chain} {ours} ct direction original counter name \"{name}_in\" accept {comment}\n");
                script.Append($"add rule ip {Table} {chain} {ours} ct direction reply counter name \"{name}_out\" accept {comment}\n");
            }
        }
    }

    private static IEnumerable<string> CounterNames(KernelRule rule) =>
        [rule.CounterName + "_in", rule.CounterName + "_out", rule.CounterName + "_conn"];

    private static string Declarations()
    {
        var text = new StringBuilder($"table ip {Table} {{\n");
        foreach (var (name, declaration) in Chains) text.Append($"  chain {name} {{ {declaration} }}\n");
        return text.Append("}\n").ToString();
    }

    private async Task<Dictionary<string, CounterObject>> ReadCounterObjectsAsync(CancellationToken ct)
    {
        var result = await commands.RunAsync(["nft", "-j", "list", "counters", "table", "ip", Table], ct);
        return result.Ok ? ParseCounters(result.Output) : [];
    }

    /// <summary>Parses <c>nft -j list counters</c>; the comment ("sx:&lt;id&gt; in|out|conn") says whose counter it is.</summary>
    internal static Dictionary<string, CounterObject> ParseCounters(string json)
    {
        var counters = new Dictionary<string, CounterObject>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("nftables", out var items)) return counters;
        foreach (var item in items.EnumerateArray())
        {
            if (!item.TryGetProperty("counter", out var counter)) continue;
            var name = counter.GetProperty("name").GetString() ?? "";
            string? ruleId = null, kind = null;
            if (counter.TryGetProperty("comment", out var comment) && comment.GetString() is { } text
                && text.StartsWith("sx:", StringComparison.Ordinal) && text.LastIndexOf(' ') is var space and > 3)
            {
                ruleId = text[3..space];
                kind = text[(space + 1)..];
            }

            counters[name] = new CounterObject(ruleId, kind, counter.GetProperty("packets").GetInt64(), counter.GetProperty("bytes").GetInt64());
        }

        return counters;
    }

    internal readonly record struct CounterObject(string? RuleId, string? Kind, long Packets, long Bytes);
}
