using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Alerts;

/// <summary>An alert rule as stored; scope and condition are kept as the JSON the API takes.</summary>
public sealed class AlertRuleRecord
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public bool Enabled { get; set; } = true;

    /// <summary><c>{"all":true}</c>, <c>{"nodeIds":[…]}</c> or <c>{"tags":[…]}</c>.</summary>
    public required string ScopeJson { get; set; }

    /// <summary>The condition as JSON, e.g. <c>{"kind":"metric",…}</c>.</summary>
    public required string ConditionJson { get; set; }

    public required string Severity { get; set; }

    /// <summary>Channel ids, comma-separated.</summary>
    public string Channels { get; set; } = "";

    /// <summary>0: one notification when it starts and one when it ends; otherwise repeat while firing.</summary>
    public int RepeatMinutes { get; set; }

    public bool Muted { get; set; }

    /// <summary>Unix ms the mute ends; null with <see cref="Muted"/> means until unmuted.</summary>
    public long? MutedUntil { get; set; }

    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>
/// One firing of a rule on one Node (or, for fleet-wide rules, on the Core): opened when the rule
/// starts firing and closed, in the same row, when it resolves.
/// </summary>
public sealed class AlertEventRecord
{
    public long Id { get; set; }
    public required string RuleId { get; set; }

    /// <summary>The rule's name when the event opened (rules can be renamed or deleted later).</summary>
    public required string RuleName { get; set; }

    public required string NodeId { get; set; }
    public required string NodeName { get; set; }
    public required string Severity { get; set; }

    /// <summary>What the rule watches on this Node beyond the Node itself, e.g. a probe or container; "" for none.</summary>
    public string Subject { get; set; } = "";

    /// <summary>"firing" or "resolved".</summary>
    public required string State { get; set; }

    public double? Value { get; set; }
    public double? Threshold { get; set; }

    /// <summary>What triggered it, in words (English; the channels render their own language).</summary>
    public required string Message { get; set; }

    public long StartedAt { get; set; }
    public long? ResolvedAt { get; set; }

    /// <summary>The value when it resolved.</summary>
    public double? ResolvedValue { get; set; }

    /// <summary>Unix ms of the last notification sent for it (repeats count from here).</summary>
    public long LastNotifiedAt { get; set; }

    public List<AlertDeliveryRecord> Deliveries { get; set; } = [];
}

/// <summary>One attempt chain to one channel for one event: what was sent and how it ended.</summary>
public sealed class AlertDeliveryRecord
{
    public long Id { get; set; }
    public long EventId { get; set; }
    public required string ChannelId { get; set; }

    /// <summary>"firing", "resolved" or "repeat".</summary>
    public required string Kind { get; set; }

    public bool Ok { get; set; }
    public string? Error { get; set; }
    public int Attempts { get; set; }
    public long At { get; set; }
}

/// <summary>A notification channel; its config (secrets included) is stored encrypted with Data Protection.</summary>
public sealed class AlertChannelRecord
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string Type { get; set; }

    /// <summary>The validated config as JSON, protected (never stored or returned in clear).</summary>
    public required string ProtectedConfig { get; set; }

    /// <summary>"en" or "zh-CN": the language of this channel's messages.</summary>
    public string Language { get; set; } = "en";

    public bool Enabled { get; set; } = true;
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>A maintenance window: no notifications for a Node, a rule, or a rule on a Node until <see cref="EndsAt"/>.</summary>
public sealed class AlertSilenceRecord
{
    public required string Id { get; set; }

    /// <summary>The Node it covers; null for every Node.</summary>
    public string? NodeId { get; set; }

    /// <summary>The rule it covers; null for every rule.</summary>
    public string? RuleId { get; set; }

    public long StartsAt { get; set; }
    public long EndsAt { get; set; }
    public string Reason { get; set; } = "";
    public required string CreatedBy { get; set; }
    public long CreatedAt { get; set; }
}

internal sealed class AlertRuleMapping : IEntityTypeConfiguration<AlertRuleRecord>
{
    public void Configure(EntityTypeBuilder<AlertRuleRecord> e)
    {
        e.ToTable("alert_rules");
        e.HasKey(x => x.Id);
    }
}

internal sealed class AlertEventMapping : IEntityTypeConfiguration<AlertEventRecord>
{
    public void Configure(EntityTypeBuilder<AlertEventRecord> e)
    {
        e.ToTable("alert_events");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.StartedAt);
        e.HasIndex(x => new { x.RuleId, x.NodeId, x.State });
        e.HasIndex(x => x.NodeId);
        e.HasMany(x => x.Deliveries).WithOne().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AlertDeliveryMapping : IEntityTypeConfiguration<AlertDeliveryRecord>
{
    public void Configure(EntityTypeBuilder<AlertDeliveryRecord> e)
    {
        e.ToTable("alert_deliveries");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.EventId);
    }
}

internal sealed class AlertChannelMapping : IEntityTypeConfiguration<AlertChannelRecord>
{
    public void Configure(EntityTypeBuilder<AlertChannelRecord> e)
    {
        e.ToTable("alert_channels");
        e.HasKey(x => x.Id);
    }
}

internal sealed class AlertSilenceMapping : IEntityTypeConfiguration<AlertSilenceRecord>
{
    public void Configure(EntityTypeBuilder<AlertSilenceRecord> e)
    {
        e.ToTable("alert_silences");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.EndsAt);
    }
}
