using System.Net;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>Counters of one kernel-mode rule, read from its tagged firewall rules.</summary>
internal readonly record struct KernelCounters(long BytesIn, long BytesOut, int ConnectionsActive, long ConnectionsTotal);

/// <summary>Which firewall tool kernel mode uses; <see cref="Auto"/> prefers nftables.</summary>
internal enum KernelFirewallKind
{
    Auto,
    Nftables,
    Iptables,
}

/// <summary>
/// Kernel-mode forwards: DNAT + masquerade rules in the firewall, each tagged with its rule id, so
/// they can be counted, replaced and removed exactly. The Node owns one table of its own and nothing else.
/// </summary>
/// <param name="commandPrefix">
/// Prepended to every command (e.g. <c>ip netns exec NAME</c>) so the rules land in another network namespace.
/// </param>
/// <param name="firewall">Forces one firewall tool; the default picks nft, then iptables.</param>
internal sealed class KernelForwarder(IReadOnlyList<string>? commandPrefix = null, KernelFirewallKind firewall = KernelFirewallKind.Auto)
{
    public const string NeedsRoot = "kernel mode needs root";
    public const string NeedsFirewall = "kernel mode needs nftables or iptables";

    private readonly KernelCommands _commands = new(commandPrefix ?? []);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<KernelRule> _installed = [];

    /// <summary>Removes everything this Node ever installed (called at start, before restoring placements).</summary>
    public async Task ResetAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _installed = [];
            if (!Environment.IsPrivilegedProcess) return;
            // Both, whichever is in use now: a Node that once ran with iptables and now has nft must
            // not leave the old chains behind.
            if (KernelCommands.IsInstalled("nft")) await new NftablesFirewall(_commands).ResetAsync(ct);
            if (KernelCommands.IsInstalled("iptables") && KernelCommands.IsInstalled("iptables-save"))
                await new IptablesFirewall(_commands).ResetAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Makes the firewall hold exactly <paramref name="placements"/> (all kernel mode, no chain).
    /// Returns an error per rule id that could not be installed (others are installed).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> ApplyAsync(IReadOnlyList<ForwardPlacement> placements, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            return await ApplyLockedAsync(placements, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Current counters per rule id, for installed rules.</summary>
    public async Task<IReadOnlyDictionary<string, KernelCounters>> ReadCountersAsync(CancellationToken ct)
    {
        var installed = _installed;
        var result = new Dictionary<string, KernelCounters>(StringComparer.Ordinal);
        if (installed.Count == 0 || Firewall() is not { } backend) return result;

        var counters = await backend.ReadAsync(ct);
        var conntrack = await _commands.ReadProcFileAsync("/proc/net/nf_conntrack", ct);
        foreach (var rule in installed)
        {
            var c = counters.GetValueOrDefault(rule.RuleId);
            var active = conntrack is null ? 0 : ConntrackTable.CountActive(conntrack, rule);
            result[rule.RuleId] = new KernelCounters(c.BytesIn, c.BytesOut, active, c.Connections);
        }

        return result;
    }

    private async Task<IReadOnlyDictionary<string, string>> ApplyLockedAsync(IReadOnlyList<ForwardPlacement> placements, CancellationToken ct)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        Dictionary<string, string> All(string error) => placements.ToDictionary(p => p.RuleId, _ => error, StringComparer.Ordinal);

        if (!Environment.IsPrivilegedProcess) return placements.Count == 0 ? errors : All(NeedsRoot);
        if (Firewall() is not { } backend) return placements.Count == 0 ? errors : All(NeedsFirewall);

        var localAddresses = await LocalAddressesAsync(ct);
        var rules = new List<KernelRule>();
        foreach (var placement in placements)
        {
            var (rule, error) = await KernelRule.PrepareAsync(placement, localAddresses, ct);
            if (rule is not null && rules.FirstOrDefault(r => r.RuleId == rule.RuleId || r.Overlaps(rule)) is { } taken)
            {
                error = taken.RuleId == rule.RuleId
                    ? "the rule is listed twice"
                    : $"port {rule.ListenPort} already in use by rule {taken.RuleId}";
                rule = null;
            }

            if (rule is null) errors[placement.RuleId] = error!;
            else rules.Add(rule);
        }

        if (rules.Count > 0 && await _commands.WriteProcFileAsync("/proc/sys/net/ipv4/ip_forward", "1\n", ct) is { } forwarding)
        {
            foreach (var rule in rules) errors[rule.RuleId] = forwarding;
            rules.Clear();
        }

        // With nothing to install the table goes away entirely: no hooks left on a box that has no kernel rule.
        var failure = rules.Count == 0 ? await backend.ResetAsync(ct) : await backend.ApplyAsync(rules, ct);
        if (failure is not null)
        {
            // One script is one transaction, so one bad rule sinks all; find it and install the rest.
            var good = new List<KernelRule>();
            foreach (var rule in rules)
            {
                if (await backend.CheckAsync(rule, ct) is { } reason) errors[rule.RuleId] = reason;
                else good.Add(rule);
            }

            rules = good;
            if (await backend.ApplyAsync(rules, ct) is { } again)
            {
                foreach (var rule in rules) errors[rule.RuleId] = again;
                rules.Clear();
            }
        }

        _installed = rules;
        return errors;
    }

    private IKernelFirewall? Firewall()
    {
        var nft = firewall != KernelFirewallKind.Iptables && KernelCommands.IsInstalled("nft");
        if (nft) return new NftablesFirewall(_commands);
        var iptables = firewall != KernelFirewallKind.Nftables
            && KernelCommands.IsInstalled("iptables") && KernelCommands.IsInstalled("iptables-restore");
        return iptables ? new IptablesFirewall(_commands) : null;
    }

    /// <summary>The namespace's own IPv4 addresses, to spot a rule listening on all of them that targets one of them on the same port.</summary>
    private async Task<IReadOnlySet<IPAddress>> LocalAddressesAsync(CancellationToken ct)
    {
        var addresses = new HashSet<IPAddress>();
        var result = await _commands.RunAsync(["ip", "-4", "-o", "addr", "show"], ct);
        if (!result.Ok) return addresses;
        foreach (var line in result.Output.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var inet = Array.IndexOf(fields, "inet");
            if (inet >= 0 && inet + 1 < fields.Length && IPAddress.TryParse(fields[inet + 1].Split('/')[0], out var address))
                addresses.Add(address);
        }

        return addresses;
    }
}
