using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.RegularExpressions;
using SentinelX.Node.Config;
using SentinelX.Node.Forwarding.Targets;
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

/// <summary>What the server's owner allows kernel mode: its forward targets, and whether it may take ports below 1024.</summary>
internal sealed record KernelGuards(ForwardTargetPolicy Targets, bool PrivilegedPorts, string ConfigPath)
{
    /// <summary>Nothing beyond the defaults: refused targets stay refused, ports below 1024 too.</summary>
    public static KernelGuards Defaults() => new(
        new ForwardTargetPolicy(new ForwardTargetRules(), null, NodeSettingsLoader.DefaultConfigPath), false, NodeSettingsLoader.DefaultConfigPath);
}

/// <summary>
/// Kernel-mode forwards: DNAT + masquerade rules in the firewall, each tagged with its rule id, so
/// they can be counted, replaced and removed exactly. The Node owns one table of its own and nothing else.
/// It refuses a port a running service holds or one below 1024 (unless allowed), and turns on IPv4
/// forwarding only on the interfaces its rules use, never host-wide through <c>net.ipv4.ip_forward</c>.
/// </summary>
/// <param name="commandPrefix">
/// Prepended to every command (e.g. <c>ip netns exec NAME</c>) so the rules land in another network namespace.
/// </param>
/// <param name="firewall">Forces one firewall tool; the default picks nft, then iptables.</param>
/// <param name="guards">The owner's allowances; <see cref="KernelGuards.Defaults"/> when not given.</param>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "_gate only serialises rule changes through WaitAsync/Release; its wait handle is never requested, so there is nothing to release.")]
internal sealed partial class KernelForwarder(
    IReadOnlyList<string>? commandPrefix = null, KernelFirewallKind firewall = KernelFirewallKind.Auto, KernelGuards? guards = null)
{
    public const string NeedsRoot = "kernel mode needs root";
    public const string NeedsFirewall = "kernel mode needs nftables or iptables";

    private readonly KernelCommands _commands = new(commandPrefix ?? []);
    private readonly KernelGuards _guards = guards ?? KernelGuards.Defaults();
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

        var interfaces = await LocalAddressesAsync(ct);
        var localAddresses = interfaces.Keys.ToHashSet();
        var held = await HeldPortsAsync(ct);
        var rules = new List<KernelRule>();
        foreach (var placement in placements)
        {
            var (rule, error) = await KernelRule.PrepareAsync(placement, localAddresses, ct);
            if (rule is not null && await RefusalAsync(rule, placement, held, localAddresses, ct) is { } refused)
            {
                error = refused;
                rule = null;
            }

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

        var forwarding = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var rule in rules.ToList())
        {
            if (await EnableForwardingAsync(rule, interfaces, forwarding, ct) is not { } error) continue;
            errors[rule.RuleId] = error;
            rules.Remove(rule);
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

    /// <summary>
    /// Why <paramref name="rule"/> must not be installed, or null: a port below 1024 the owner did not
    /// allow, a port a running service holds, or a target the forward target policy refuses.
    /// </summary>
    private async Task<string?> RefusalAsync(
        KernelRule rule, ForwardPlacement placement, IReadOnlyList<HeldPort> held, IReadOnlySet<IPAddress> localAddresses, CancellationToken ct)
    {
        if (rule.ListenPort < 1024 && !_guards.PrivilegedPorts)
            return $"listen port {rule.ListenPort} is below 1024, where system services live; set {ForwardRefusals.PrivilegedPort} in {_guards.ConfigPath} to allow kernel-mode forwards there";
        if (held.FirstOrDefault(h => h.Port == rule.ListenPort && rule.Protocols.Contains(h.Protocol) && SocketTable.Overlaps(h, rule.ListenAddress)) is { Port: > 0 } holder)
            return $"port {rule.ListenPort} {ForwardRefusals.HeldPort} ({holder}); kernel mode would take its traffic";
        for (var i = 0; i < rule.Targets.Count; i++)
        {
            if (await _guards.Targets.RefusalAsync(placement.Targets[i], rule.Targets[i].Address, localAddresses, ct) is { } refused)
                return refused;
        }

        return null;
    }

    /// <summary>Every TCP listener and bound UDP socket in the namespace the rules go to.</summary>
    private async Task<IReadOnlyList<HeldPort>> HeldPortsAsync(CancellationToken ct)
    {
        var held = new List<HeldPort>();
        foreach (var (file, protocol) in new[] { ("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp") })
        {
            if (await _commands.ReadProcFileAsync("/proc/net/" + file, ct) is { } text) held.AddRange(SocketTable.Parse(text, protocol));
        }

        return held;
    }

    /// <summary>
    /// Turns on forwarding for the interfaces <paramref name="rule"/>'s packets come in on (the one
    /// holding its listen address, or every interface with an address when it listens on all) and
    /// those its targets are reached through (replies are forwarded back from there). Returns why
    /// it cannot, with what the owner must set instead; <paramref name="done"/> remembers each
    /// interface's outcome within one apply.
    /// </summary>
    private async Task<string?> EnableForwardingAsync(
        KernelRule rule, IReadOnlyDictionary<IPAddress, string> interfaces, Dictionary<string, string?> done, CancellationToken ct)
    {
        var needed = new SortedSet<string>(StringComparer.Ordinal);
        if (rule.ListenAddress is null) needed.UnionWith(interfaces.Values);
        else if (interfaces.TryGetValue(rule.ListenAddress, out var listenOn)) needed.Add(listenOn);
        foreach (var target in rule.Targets)
        {
            var route = await _commands.RunAsync(["ip", "-4", "-o", "route", "get", target.Address.ToString()], ct);
            var fields = route.Output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var dev = Array.IndexOf(fields, "dev");
            if (!route.Ok || dev < 0 || dev + 1 >= fields.Length)
                return $"kernel mode cannot find the interface that reaches target {target}: {route.Reason}";
            needed.Add(fields[dev + 1]);
        }

        needed.Remove("lo");
        var failed = new List<(string Interface, string Reason)>();
        foreach (var name in needed)
        {
            if (!done.TryGetValue(name, out var error))
            {
                error = await EnableForwardingAsync(name, ct);
                done[name] = error;
            }

            if (error is not null) failed.Add((name, error));
        }

        if (failed.Count == 0) return null;
        return $"kernel mode needs IPv4 forwarding on {string.Join(", ", failed.Select(f => f.Interface))} and cannot turn it on ({failed[0].Reason}); "
            + $"set {string.Join(" and ", failed.Select(f => $"net.ipv4.conf.{f.Interface.Replace('.', '/')}.forwarding=1"))} (the Node never sets net.ipv4.ip_forward)";
    }

    private async Task<string?> EnableForwardingAsync(string name, CancellationToken ct)
    {
        if (!InterfaceName().IsMatch(name) || name is "." or "..") return $"unexpected interface name {name}";
        var path = $"/proc/sys/net/ipv4/conf/{name}/forwarding";
        if ((await _commands.ReadProcFileAsync(path, ct))?.Trim() == "1") return null;
        return await _commands.WriteProcFileAsync(path, "1\n", ct);
    }

    /// <summary>
    /// The namespace's own IPv4 addresses and the interface holding each: to spot a rule listening on
    /// all of them that targets one of them on the same port, and to know where forwarding is needed.
    /// </summary>
    private async Task<IReadOnlyDictionary<IPAddress, string>> LocalAddressesAsync(CancellationToken ct)
    {
        var addresses = new Dictionary<IPAddress, string>();
        var result = await _commands.RunAsync(["ip", "-4", "-o", "addr", "show"], ct);
        if (!result.Ok) return addresses;
        foreach (var line in result.Output.Split('\n'))
        {
            // "2: r0    inet 10.77.1.1/24 scope global r0\       valid_lft forever ..."
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var inet = Array.IndexOf(fields, "inet");
            if (inet >= 2 && inet + 1 < fields.Length && IPAddress.TryParse(fields[inet + 1].Split('/')[0], out var address))
                addresses[address] = fields[1].Split('@')[0];
        }

        return addresses;
    }

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,15}$")]
    private static partial Regex InterfaceName();
}
