using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Exec;

/// <summary>One command run on one Node, with its captured output (each stream capped at <see cref="MaxOutputBytes"/>).</summary>
public sealed class ExecRun
{
    public const int MaxOutputBytes = 1024 * 1024;

    /// <summary>Random id, also the run id the Node sees.</summary>
    public required string Id { get; set; }

    /// <summary>Runs started together on several Nodes share one batch id; null for a single run.</summary>
    public string? BatchId { get; set; }

    public required string NodeId { get; set; }
    public required string Command { get; set; }

    /// <summary>The user the command ran as; "" for the Node's own user (root when installed as a service).</summary>
    public string RunAs { get; set; } = "";

    public string WorkingDirectory { get; set; } = "";
    public int TimeoutSeconds { get; set; }

    /// <summary>Who started it (user or token name).</summary>
    public required string RequestedBy { get; set; }

    public long StartedAt { get; set; }
    public long? FinishedAt { get; set; }

    /// <summary>"running", "exited", "timeout", "cancelled" or "failed" (could not start, Node gone).</summary>
    public required string Status { get; set; }

    public int? ExitCode { get; set; }
    public long DurationMs { get; set; }
    public string Stdout { get; set; } = "";
    public string Stderr { get; set; } = "";

    /// <summary>True when either stream went over the cap and was cut.</summary>
    public bool Truncated { get; set; }

    /// <summary>Why it failed, when it did.</summary>
    public string Error { get; set; } = "";
}

internal sealed class ExecRunMapping : IEntityTypeConfiguration<ExecRun>
{
    public void Configure(EntityTypeBuilder<ExecRun> e)
    {
        e.ToTable("exec_runs");
        e.HasKey(x => x.Id);
        e.HasIndex(x => new { x.NodeId, x.StartedAt });
        e.HasIndex(x => x.BatchId);
    }
}
