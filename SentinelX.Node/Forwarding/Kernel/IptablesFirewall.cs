using System.Text;
using System.Text.RegularExpressions;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>
/// Kernel rules for hosts without nft: chains of the Node's own (SENTINELX-*) hooked into the built-in
/// ones, every rule tagged with <c>-m comment --comment "sx:&lt;id&gt; in|out|conn"</c>. iptables has no
/// named counters, so an apply reads the totals first and restores them onto the new rules
/// (<c>iptables-restore --counters</c>) in the same transaction that replaces the rules.
/// </summary>
internal sealed partial class IptablesFirewall(KernelCommands commands) : IKernelFirewall
{
    // (table, own chain, built-in chain it hangs from)
    private static readonly (string Table, string Chain, string Parent)[] Hooks =
    [
        ("nat", "SENTINELX-PRE", "PREROUTING"),
        ("nat", "SENTINELX-NATOUT", "OUTPUT"),
        ("nat", "SENTINELX-POST", "POSTROUTING"),
        ("filter", "SENTINELX-FWD", "FORWARD"),
        ("filter", "SENTINELX-IN", "INPUT"),
        ("filter", "SENTINELX-OUT", "OUTPUT"),
    ];

    public async Task<string?> ResetAsync(CancellationToken ct)
    {
        foreach (var (table, chain, parent) in Hooks)
        {
            while ((await commands.RunAsync(["iptables", "-w", "-t", table, "-D", parent, "-j", chain], ct)).Ok)
            {
                // Removes every jump, also duplicates a crashed Node may have left.
            }

            await commands.RunAsync(["iptables", "-w", "-t", table, "-F", chain], ct);
            await commands.RunAsync(["iptables", "-w", "-t", table, "-X", chain], ct);
        }

        var left = await commands.RunAsync(["iptables-save"], ct);
        return left.Ok && left.Output.Contains("SENTINELX-", StringComparison.Ordinal) ? "iptables still holds SENTINELX chains" : null;
    }

    public async Task<string?> ApplyAsync(IReadOnlyList<KernelRule> rules, CancellationToken ct)
    {
        var carried = await ReadTagCountersAsync(ct);
        var result = await commands.RunAsync(["iptables-restore", "-w", "--noflush", "--counters"], Script(rules, carried), ct);
        if (!result.Ok) return result.Reason;

        foreach (var (table, chain, parent) in Hooks)
        {
            if ((await commands.RunAsync(["iptables", "-w", "-t", table, "-C", parent, "-j", chain], ct)).Ok) continue;
            var jump = await commands.RunAsync(["iptables", "-w", "-t", table, "-I", parent, "1", "-j", chain], ct);
            if (!jump.Ok) return jump.Reason;
        }

        return null;
    }

    public async Task<string?> CheckAsync(KernelRule rule, CancellationToken ct)
    {
        var result = await commands.RunAsync(["iptables-restore", "-w", "--noflush", "--test"], Script([rule], new Dictionary<(string, string), (long, long)>()), ct);
        return result.Ok ? null : result.Reason;
    }

    public async Task<IReadOnlyDictionary<string, FirewallCounters>> ReadAsync(CancellationToken ct)
    {
        var totals = new Dictionary<string, FirewallCounters>(StringComparer.Ordinal);
        foreach (var ((ruleId, kind), (packets, bytes)) in await ReadTagCountersAsync(ct))
        {
            var current = totals.GetValueOrDefault(ruleId);
            totals[ruleId] = kind switch
            {
                "in" => current with { BytesIn = bytes },
                "out" => current with { BytesOut = bytes },
                "conn" => current with { Connections = packets },
                _ => current,
            };
        }

        return totals;
    }

    /// <summary>
    /// An iptables-restore script that flushes the Node's chains (declaring a chain with --noflush
    /// empties it) and adds every rule; each tag's carried total goes onto its first rule.
    /// </summary>
    internal static string Script(IReadOnlyList<KernelRule> rules, IReadOnlyDictionary<(string, string), (long, long)> carried)
    {
        var nat = new StringBuilder("*nat\n");
        var filter = new StringBuilder("*filter\n");
        foreach (var (table, chain, _) in Hooks) (table == "nat" ? nat : filter).Append($":{chain} - [0:0]\n");

        var placed = new HashSet<(string, string)>();
        string Counters(KernelRule rule, string kind) =>
            placed.Add((rule.RuleId, kind)) && carried.TryGetValue((rule.RuleId, kind), out var c) ? $"[{c.Item1}:{c.Item2}] " : "[0:0] ";

        foreach (var rule in rules)
        {
            var listen = rule.ListenAddress is null ? "-m addrtype --dst-type LOCAL" : $"-d {rule.ListenAddress}/32";
            var original = rule.ListenAddress is null ? "" : $" --ctorigdst {rule.ListenAddress}/32";
            foreach (var protocol in rule.Protocols)
            {
                var ours = $"-p {protocol} -m conntrack --ctstate DNAT --ctorigdstport {rule.ListenPort}{original}";
                foreach (var chain in (ReadOnlySpan<string>)["SENTINELX-PRE", "SENTINELX-NATOUT"])
                {
                    for (var i = 0; i < rule.Targets.Count; i++)
                    {
                        // Round robin the iptables way: the first rule takes every n-th new flow, the
                        // next every (n-1)-th of the rest, ..., the last takes what remains.
                        var left = rule.Targets.Count - i;
                        var nth = left > 1 ? $"-m statistic --mode nth --every {left} --packet 0 " : "";
                        nat.Append(Counters(rule, "conn")).Append($"-A {chain} -p {protocol} {listen} --dport {rule.ListenPort} {nth}")
                            .Append($"-m comment --comment \"{rule.Tag} conn\" -j DNAT --to-destination {rule.Targets[i]}\n");
                    }
                }

                nat.Append($"[0:0] -A SENTINELX-POST {ours} -m comment --comment \"{rule.Tag} nat\" -j MASQUERADE\n");
                foreach (var chain in (ReadOnlySpan<string>)["SENTINELX-FWD", "SENTINELX-IN", "SENTINELX-OUT"])
                {
                    filter.Append(Counters(rule, "in")).Append($"-A {chain} {ours} --ctdir ORIGINAL -m comment --comment \"{rule.Tag} in\" -j ACCEPT\n");
                    filter.Append(Counters(rule, "out")).Append($"-A {chain} {ours} --ctdir REPLY -m comment --comment \"{rule.Tag} out\" -j ACCEPT\n");
                }
            }
        }

        return nat.Append("COMMIT\n").Append(filter).Append("COMMIT\n").ToString();
    }

    /// <summary>Sums (packets, bytes) per (rule id, kind) over the Node's chains, from <c>iptables-save -c</c>.</summary>
    private async Task<Dictionary<(string, string), (long, long)>> ReadTagCountersAsync(CancellationToken ct)
    {
        var totals = new Dictionary<(string, string), (long, long)>();
        foreach (var table in new[] { "nat", "filter" })
        {
            var result = await commands.RunAsync(["iptables-save", "-c", "-t", table], ct);
            if (!result.Ok) continue;
            foreach (var (key, packets, bytes) in ParseSave(result.Output))
            {
                var current = totals.GetValueOrDefault(key);
                totals[key] = (current.Item1 + packets, current.Item2 + bytes);
            }
        }

        return totals;
    }

    /// <summary>Tagged rules of the Node's chains in <c>iptables-save -c</c> output.</summary>
    internal static IEnumerable<((string RuleId, string Kind), long Packets, long Bytes)> ParseSave(string output)
    {
        foreach (var line in output.Split('\n'))
        {
            var match = SavedRule().Match(line);
            if (!match.Success) continue;
            yield return ((match.Groups["id"].Value, match.Groups["kind"].Value),
                long.Parse(match.Groups["p"].ValueSpan), long.Parse(match.Groups["b"].ValueSpan));
        }
    }

    [GeneratedRegex("""^\[(?<p>\d+):(?<b>\d+)\] -A SENTINELX-\S+ .*--comment "?sx:(?<id>\S+) (?<kind>in|out|conn|nat)"?""")]
    private static partial Regex SavedRule();
}
