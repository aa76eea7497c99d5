using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// A machine that presented the enrollment key with the machine id of a Node the Core already
/// knows. The key alone never hands over an existing record: an administrator approves (the
/// machine gets that record's id with a fresh secret) or rejects.
/// </summary>
public sealed class NodeJoinRequest
{
    public required string Id { get; set; }

    /// <summary>The existing Node whose identity is asked for.</summary>
    public required string NodeId { get; set; }

    public required string MachineId { get; set; }

    /// <summary>The name the machine asked for (its --name, else its host name).</summary>
    public required string Name { get; set; }
    public required string Hostname { get; set; }
    public string? RemoteAddress { get; set; }
    public string AgentVersion { get; set; } = "";

    /// <summary>SHA-256 of the one-time ticket the machine polls with.</summary>
    public required string TicketHash { get; set; }

    /// <summary>Unix ms.</summary>
    public long CreatedAt { get; set; }

    /// <summary>One of <see cref="JoinStates"/>.</summary>
    public required string State { get; set; }

    public long? DecidedAt { get; set; }
    public string? DecidedBy { get; set; }
}

/// <summary>The life of a join request: pending, then approved (and completed once the machine collects its secret) or rejected.</summary>
public static class JoinStates
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Completed = "completed";
    public const string Rejected = "rejected";
}

internal sealed class NodeJoinRequestMapping : IEntityTypeConfiguration<NodeJoinRequest>
{
    public void Configure(EntityTypeBuilder<NodeJoinRequest> e)
    {
        e.ToTable("node_join_requests");
        e.HasKey(x => x.Id);
        e.HasIndex(x => new { x.State, x.CreatedAt });
        e.HasIndex(x => x.MachineId);
    }
}
