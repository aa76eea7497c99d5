using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Nodes;

/// <summary>A Node as stored: identity, credentials and the last known facts about it.</summary>
public sealed class NodeRecord
{
    /// <summary>Short random id, e.g. "k3x9q2m7d1fa".</summary>
    public required string Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The Node's /etc/machine-id (or equivalent); unique, so a reinstall finds its record.</summary>
    public required string MachineId { get; set; }

    /// <summary>SHA-256 of the per-node secret, lowercase hex.</summary>
    public required string SecretHash { get; set; }

    public long CreatedAt { get; set; }

    /// <summary>Unix ms of the last message from the Node, written on disconnect and periodically.</summary>
    public long LastSeenAt { get; set; }
    public bool Revoked { get; set; }
    public string AgentVersion { get; set; } = "";
    public string Os { get; set; } = "";
    public string Arch { get; set; } = "";

    /// <summary>The latest <see cref="Shared.Metrics.SystemInfo"/> as JSON.</summary>
    public string? SystemInfoJson { get; set; }

    /// <summary>The address the Node's connection came from, as the Core saw it.</summary>
    public string? RemoteAddress { get; set; }

    /// <summary>Highest sample seq known stored; kept here too because raw samples are pruned.</summary>
    public long LastSeq { get; set; }

    /// <summary>User labels, comma-separated in the order given, e.g. "prod,hk".</summary>
    public string Tags { get; set; } = "";

    /// <summary>One group per Node (e.g. a provider or a project); "" for none.</summary>
    public string GroupName { get; set; } = "";

    /// <summary>ISO 3166 two-letter country code shown as a flag; "" for unknown.</summary>
    public string Region { get; set; } = "";
    public string Notes { get; set; } = "";

    /// <summary>Day of the month (1-28) the provider's traffic allowance resets; traffic "this month" counts from it.</summary>
    public int TrafficResetDay { get; set; } = 1;

    /// <summary>
    /// The capabilities an admin turned on for this Node, comma-separated (e.g. "exec,files"); ""
    /// for none, which is how every Node starts. The Node's own allow list is the second lock.
    /// </summary>
    public string Capabilities { get; set; } = "";

    /// <summary>Monthly traffic allowance in bytes (the provider's quota); null when there is none.</summary>
    public long? TrafficQuotaBytes { get; set; }

    /// <summary>What the server costs per <see cref="BillingCycle"/>; null when not recorded.</summary>
    public decimal? BillingPrice { get; set; }

    /// <summary>ISO 4217 code, e.g. "USD", "EUR", "CNY"; "" when not recorded.</summary>
    public string BillingCurrency { get; set; } = "";

    /// <summary>"monthly", "quarterly", "yearly" or "one-time"; "" when not recorded.</summary>
    public string BillingCycle { get; set; } = "";

    /// <summary>Unix ms the server's paid period ends; null when it does not expire or is not recorded.</summary>
    public long? ExpiresAt { get; set; }

    public bool AutoRenew { get; set; }
}

internal sealed class NodeRecordMapping : IEntityTypeConfiguration<NodeRecord>
{
    public void Configure(EntityTypeBuilder<NodeRecord> e)
    {
        e.ToTable("nodes");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.MachineId).IsUnique();
        // Defaults, because these columns were added to a table that already had rows.
        e.Property(x => x.Tags).HasDefaultValue("");
        e.Property(x => x.GroupName).HasDefaultValue("");
        e.Property(x => x.Region).HasDefaultValue("");
        e.Property(x => x.Notes).HasDefaultValue("");
        e.Property(x => x.TrafficResetDay).HasDefaultValue(1);
        e.Property(x => x.Capabilities).HasDefaultValue("");
        e.Property(x => x.BillingCurrency).HasDefaultValue("");
        e.Property(x => x.BillingCycle).HasDefaultValue("");
        e.Property(x => x.BillingPrice).HasPrecision(18, 4);
        e.Property(x => x.AutoRenew).HasDefaultValue(false);
    }
}
