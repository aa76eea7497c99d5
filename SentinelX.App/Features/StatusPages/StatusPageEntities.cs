using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.StatusPages;

/// <summary>A public status page: what an admin chose to show at <c>/status/{slug}</c> (<c>default</c> is <c>/status</c>).</summary>
public sealed class StatusPageRecord
{
    public required string Slug { get; set; }
    public required string Title { get; set; }

    /// <summary>Node ids shown, comma-separated, in the order given.</summary>
    public string NodeIds { get; set; } = "";

    /// <summary>Probe ids shown, comma-separated, in the order given.</summary>
    public string ProbeIds { get; set; } = "";

    /// <summary>False hides the page (404) without deleting it.</summary>
    public bool Public { get; set; } = true;

    public long UpdatedAt { get; set; }
}

/// <summary>An incident note an admin writes on a status page.</summary>
public sealed class StatusIncidentRecord
{
    public required string Id { get; set; }
    public required string Slug { get; set; }
    public required string Title { get; set; }
    public string Body { get; set; } = "";

    /// <summary>"investigating", "identified", "monitoring" or "resolved".</summary>
    public required string State { get; set; }

    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
    public long? ResolvedAt { get; set; }
}

internal sealed class StatusPageMapping : IEntityTypeConfiguration<StatusPageRecord>
{
    public void Configure(EntityTypeBuilder<StatusPageRecord> e)
    {
        e.ToTable("status_pages");
        e.HasKey(x => x.Slug);
    }
}

internal sealed class StatusIncidentMapping : IEntityTypeConfiguration<StatusIncidentRecord>
{
    public void Configure(EntityTypeBuilder<StatusIncidentRecord> e)
    {
        e.ToTable("status_incidents");
        e.HasKey(x => x.Id);
        e.HasIndex(x => new { x.Slug, x.CreatedAt });
    }
}
