namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>Totals the firewall holds for one rule: bytes each way and connections (first packets) DNATed.</summary>
internal readonly record struct FirewallCounters(long BytesIn, long BytesOut, long Connections);

/// <summary>One way of putting kernel rules into the firewall: nftables, or iptables where nft is missing.</summary>
internal interface IKernelFirewall
{
    /// <summary>Removes the Node's table or chains and every rule in them; succeeds when there is nothing to remove.</summary>
    Task<string?> ResetAsync(CancellationToken ct);

    /// <summary>Replaces the Node's rules with <paramref name="rules"/> in one transaction; null or the tool's error.</summary>
    Task<string?> ApplyAsync(IReadOnlyList<KernelRule> rules, CancellationToken ct);

    /// <summary>Checks, without changing anything, whether the firewall would take <paramref name="rule"/> alone.</summary>
    Task<string?> CheckAsync(KernelRule rule, CancellationToken ct);

    /// <summary>Counters per rule id of everything installed.</summary>
    Task<IReadOnlyDictionary<string, FirewallCounters>> ReadAsync(CancellationToken ct);
}
