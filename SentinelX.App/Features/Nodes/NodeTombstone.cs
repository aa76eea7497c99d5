using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// A Node an administrator removed. Its id is refused with 410 from then on, so the Node is told it
/// was removed instead of enrolling again with the key (see <see cref="NodeEditor.RemoveAsync"/>).
/// </summary>
public sealed class NodeTombstone
{
    public required string NodeId { get; set; }

    /// <summary>The Node's name when it was removed.</summary>
    public required string Name { get; set; }

    /// <summary>Unix ms.</summary>
    public long RemovedAt { get; set; }
}

internal sealed class NodeTombstoneMapping : IEntityTypeConfiguration<NodeTombstone>
{
    public void Configure(EntityTypeBuilder<NodeTombstone> e)
    {
        e.ToTable("node_tombstones");
        e.HasKey(x => x.NodeId);
    }
}
