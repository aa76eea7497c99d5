using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// One forwarding rule as stored: its settings, its chain with every hop resolved (host, port,
/// secret), and the Core's running totals with the last counters the entry Node reported.
/// </summary>
public sealed class ForwardRule
{
    /// <summary>Random id, also the rule id every Node of the rule sees.</summary>
    public required string Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The entry Node (where clients connect).</summary>
    public required string NodeId { get; set; }

    public required string Protocol { get; set; }
    public required string ListenAddress { get; set; }
    public int ListenPort { get; set; }

    /// <summary>JSON array of <c>host:port</c> strings.</summary>
    public required string TargetsJson { get; set; }

    public required string Balance { get; set; }
    public required string Mode { get; set; }
    public double BandwidthMbps { get; set; }
    public int MaxConnections { get; set; }
    public int ProxyProtocol { get; set; }
    public int UdpIdleSeconds { get; set; }

    /// <summary>JSON array of <see cref="ForwardHop"/>; "[]" for a direct rule.</summary>
    public required string ChainJson { get; set; }

    public long QuotaBytes { get; set; }
    public required string QuotaAction { get; set; }
    public double QuotaThrottleMbps { get; set; }
    public int ResetDay { get; set; }

    public long CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public long UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }

    /// <summary>The Core's totals over the rule's life (sum of every stored delta).</summary>
    public long BytesIn { get; set; }

    public long BytesOut { get; set; }
    public long ConnectionsTotal { get; set; }

    /// <summary>The entry Node's cumulative counters in its last report; the next report's delta starts here.</summary>
    public long ReportedBytesIn { get; set; }

    public long ReportedBytesOut { get; set; }
    public long ReportedConnections { get; set; }

    public IReadOnlyList<string> Targets
    {
        get => JsonSerializer.Deserialize<List<string>>(TargetsJson, ForwardJson.Options) ?? [];
        set => TargetsJson = JsonSerializer.Serialize(value, ForwardJson.Options);
    }

    public IReadOnlyList<ForwardHop> Chain
    {
        get => JsonSerializer.Deserialize<List<ForwardHop>>(ChainJson, ForwardJson.Options) ?? [];
        set => ChainJson = JsonSerializer.Serialize(value, ForwardJson.Options);
    }

    /// <summary>Every Node the rule runs on, entry first.</summary>
    public IReadOnlyList<string> NodeIds() => Chain is { Count: > 0 } chain ? [.. chain.Select(h => h.NodeId)] : [NodeId];

    public ForwardRule Clone() => (ForwardRule)MemberwiseClone();
}

/// <summary>
/// One resolved hop of a stored chain. <see cref="Transport"/>, <see cref="Host"/>, <see cref="Port"/>,
/// <see cref="Path"/>, <see cref="HostHeader"/> and <see cref="Secret"/> describe how the previous hop
/// reaches this one; they are unused on the first hop (the entry).
/// </summary>
public sealed record ForwardHop
{
    public required string NodeId { get; init; }
    public string Transport { get; init; } = "tcp";
    public string Host { get; init; } = "";
    public int Port { get; init; }
    public string Path { get; init; } = "/";
    public string? HostHeader { get; init; }

    /// <summary>32 random bytes the previous hop presents in its preamble.</summary>
    public byte[] Secret { get; init; } = [];
}

/// <summary>One-minute buckets, kept <see cref="ForwardOptions.MinuteDays"/> days.</summary>
public sealed class ForwardMinute
{
    public required string RuleId { get; set; }
    public long Bucket { get; set; }
    public long BytesIn { get; set; }
    public long BytesOut { get; set; }
}

/// <summary>One-hour buckets, kept <see cref="ForwardOptions.HourDays"/> days; monthly totals are summed from these.</summary>
public sealed class ForwardHour
{
    public required string RuleId { get; set; }
    public long Bucket { get; set; }
    public long BytesIn { get; set; }
    public long BytesOut { get; set; }
}

internal static class ForwardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

internal sealed class ForwardRuleMapping : IEntityTypeConfiguration<ForwardRule>
{
    public void Configure(EntityTypeBuilder<ForwardRule> e)
    {
        e.ToTable("forward_rules");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.NodeId);
        e.Ignore(x => x.Targets);
        e.Ignore(x => x.Chain);
    }
}

internal sealed class ForwardMinuteMapping : IEntityTypeConfiguration<ForwardMinute>
{
    public void Configure(EntityTypeBuilder<ForwardMinute> e)
    {
        e.ToTable("forward_traffic_1m");
        e.HasKey(x => new { x.RuleId, x.Bucket });
        e.HasIndex(x => x.Bucket);
    }
}

internal sealed class ForwardHourMapping : IEntityTypeConfiguration<ForwardHour>
{
    public void Configure(EntityTypeBuilder<ForwardHour> e)
    {
        e.ToTable("forward_traffic_1h");
        e.HasKey(x => new { x.RuleId, x.Bucket });
        e.HasIndex(x => x.Bucket);
    }
}
