using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Probes;

/// <summary>A service probe the chosen Nodes run (ICMP, TCP, HTTP(S) or DNS) every <see cref="IntervalSeconds"/>.</summary>
public sealed class ProbeRecord
{
    public required string Id { get; set; }
    public required string Name { get; set; }

    /// <summary>"icmp", "tcp", "http" or "dns".</summary>
    public required string Type { get; set; }

    /// <summary>A host (icmp, dns), <c>host:port</c> (tcp) or URL (http).</summary>
    public required string Target { get; set; }

    public int IntervalSeconds { get; set; } = 30;
    public int TimeoutMs { get; set; } = 5000;

    /// <summary>HTTP: text the body must contain; null for none.</summary>
    public string? Keyword { get; set; }

    /// <summary>HTTP: the status the answer must have; null for any 2xx/3xx.</summary>
    public int? ExpectStatus { get; set; }

    /// <summary>DNS: the server to ask (host or host:port); null for the Node's resolver.</summary>
    public string? DnsServer { get; set; }

    /// <summary>DNS: "A" or "AAAA"; null for A.</summary>
    public string? RecordType { get; set; }

    /// <summary>Node ids, comma-separated; "" when <see cref="Tags"/> choose the Nodes.</summary>
    public string NodeIds { get; set; } = "";

    /// <summary>Node tags, comma-separated: every Node with any of them runs the probe.</summary>
    public string Tags { get; set; } = "";

    public bool Enabled { get; set; } = true;
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>One check of a probe by one Node, as the Node reported it inside a metric sample.</summary>
public sealed class ProbeResultRow
{
    public required string ProbeId { get; set; }
    public required string NodeId { get; set; }

    /// <summary>Unix ms the check started (Node clock).</summary>
    public long At { get; set; }

    public bool Ok { get; set; }
    public double? LatencyMs { get; set; }
    public string? Error { get; set; }

    /// <summary>HTTPS: unix ms the server certificate expires.</summary>
    public long? CertificateExpiresAt { get; set; }
}

/// <summary>Checks of one probe by one Node within a minute or an hour (<see cref="Bucket"/>, unix ms of its start).</summary>
public abstract class ProbeRollup
{
    public required string ProbeId { get; set; }
    public required string NodeId { get; set; }
    public long Bucket { get; set; }
    public int Checks { get; set; }
    public int Failures { get; set; }

    /// <summary>Over the successful checks; null when none succeeded.</summary>
    public double? LatencyAvg { get; set; }

    public double? LatencyMin { get; set; }
    public double? LatencyMax { get; set; }
}

public sealed class ProbeMinute : ProbeRollup;

public sealed class ProbeHour : ProbeRollup;

internal sealed class ProbeMapping : IEntityTypeConfiguration<ProbeRecord>
{
    public void Configure(EntityTypeBuilder<ProbeRecord> e)
    {
        e.ToTable("probes");
        e.HasKey(x => x.Id);
    }
}

internal sealed class ProbeResultMapping : IEntityTypeConfiguration<ProbeResultRow>
{
    public void Configure(EntityTypeBuilder<ProbeResultRow> e)
    {
        e.ToTable("probe_results");
        e.HasKey(x => new { x.ProbeId, x.NodeId, x.At });
        e.HasIndex(x => x.At);
    }
}

internal sealed class ProbeMinuteMapping : IEntityTypeConfiguration<ProbeMinute>
{
    public void Configure(EntityTypeBuilder<ProbeMinute> e)
    {
        e.ToTable("probe_results_1m");
        e.HasKey(x => new { x.ProbeId, x.NodeId, x.Bucket });
        e.HasIndex(x => x.Bucket);
    }
}

internal sealed class ProbeHourMapping : IEntityTypeConfiguration<ProbeHour>
{
    public void Configure(EntityTypeBuilder<ProbeHour> e)
    {
        e.ToTable("probe_results_1h");
        e.HasKey(x => new { x.ProbeId, x.NodeId, x.Bucket });
        e.HasIndex(x => x.Bucket);
    }
}
