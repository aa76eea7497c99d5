using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Metrics;

/// <summary>One raw sample (table <c>samples</c>); (NodeId, Seq) is the key that stores each sample once.</summary>
public sealed class SampleRow
{
    public required string NodeId { get; set; }
    public long Seq { get; set; }

    /// <summary>Unix ms when the Node took the sample.</summary>
    public long Ts { get; set; }
    public double CpuPercent { get; set; }
    public double Load1 { get; set; }
    public double Load5 { get; set; }
    public double Load15 { get; set; }
    public long MemUsedBytes { get; set; }
    public long MemTotalBytes { get; set; }
    public long SwapUsedBytes { get; set; }
    public long SwapTotalBytes { get; set; }
    public long DiskUsedBytes { get; set; }
    public long DiskTotalBytes { get; set; }
    public double DiskReadBps { get; set; }
    public double DiskWriteBps { get; set; }
    public double NetRxBps { get; set; }
    public double NetTxBps { get; set; }
    public long NetRxTotal { get; set; }
    public long NetTxTotal { get; set; }
    public int TcpConnections { get; set; }
    public int UdpConnections { get; set; }
    public int Processes { get; set; }
    public long UptimeSeconds { get; set; }
}

/// <summary>
/// Aggregate of one node over one bucket: avg and max of gauges, last value of totals.
/// Stored in <c>rollups_1m</c> (<see cref="MinuteRollup"/>) and <c>rollups_1h</c> (<see cref="HourRollup"/>).
/// </summary>
public abstract class RollupRow
{
    public required string NodeId { get; set; }

    /// <summary>Unix ms of the bucket start.</summary>
    public long Bucket { get; set; }
    public int SampleCount { get; set; }

    public double CpuPercentAvg { get; set; }
    public double CpuPercentMax { get; set; }
    public double Load1Avg { get; set; }
    public double Load1Max { get; set; }
    public double Load5Avg { get; set; }
    public double Load5Max { get; set; }
    public double Load15Avg { get; set; }
    public double Load15Max { get; set; }
    public double MemUsedBytesAvg { get; set; }
    public long MemUsedBytesMax { get; set; }
    public long MemTotalBytesLast { get; set; }
    public double SwapUsedBytesAvg { get; set; }
    public long SwapUsedBytesMax { get; set; }
    public long SwapTotalBytesLast { get; set; }
    public double DiskUsedBytesAvg { get; set; }
    public long DiskUsedBytesMax { get; set; }
    public long DiskTotalBytesLast { get; set; }
    public double DiskReadBpsAvg { get; set; }
    public double DiskReadBpsMax { get; set; }
    public double DiskWriteBpsAvg { get; set; }
    public double DiskWriteBpsMax { get; set; }
    public double NetRxBpsAvg { get; set; }
    public double NetRxBpsMax { get; set; }
    public double NetTxBpsAvg { get; set; }
    public double NetTxBpsMax { get; set; }
    public long NetRxTotalLast { get; set; }
    public long NetTxTotalLast { get; set; }
    public double TcpConnectionsAvg { get; set; }
    public int TcpConnectionsMax { get; set; }
    public double UdpConnectionsAvg { get; set; }
    public int UdpConnectionsMax { get; set; }
    public double ProcessesAvg { get; set; }
    public int ProcessesMax { get; set; }
    public long UptimeSecondsLast { get; set; }
}

/// <summary>A 1-minute rollup row, built from raw samples.</summary>
public sealed class MinuteRollup : RollupRow;

/// <summary>A 1-hour rollup row, built from 1-minute rollups.</summary>
public sealed class HourRollup : RollupRow;

/// <summary>
/// How far a rollup tier is complete: every bucket that starts before <see cref="WatermarkMs"/>
/// has been computed. Rows "1m" and "1h" (table <c>rollup_state</c>).
/// </summary>
public sealed class RollupWatermark
{
    public const string Minute = "1m";
    public const string Hour = "1h";

    public required string Name { get; set; }
    public long WatermarkMs { get; set; }
}

/// <summary>
/// A node-hour that received samples below the minute watermark (late data, e.g. a Node replaying
/// its offline buffer) and must be rolled up again (table <c>rollup_dirty</c>).
/// </summary>
public sealed class DirtyHour
{
    public required string NodeId { get; set; }

    /// <summary>Unix ms of the hour start.</summary>
    public long HourMs { get; set; }
}

internal sealed class SampleRowMapping : IEntityTypeConfiguration<SampleRow>
{
    public void Configure(EntityTypeBuilder<SampleRow> e)
    {
        e.ToTable("samples");
        e.HasKey(x => new { x.NodeId, x.Seq });
        e.Property(x => x.Seq).ValueGeneratedNever();
        e.HasIndex(x => new { x.NodeId, x.Ts });
        e.HasIndex(x => x.Ts);
    }
}

internal sealed class MinuteRollupMapping : IEntityTypeConfiguration<MinuteRollup>
{
    public void Configure(EntityTypeBuilder<MinuteRollup> e) => RollupMapping.Configure(e, "rollups_1m");
}

internal sealed class HourRollupMapping : IEntityTypeConfiguration<HourRollup>
{
    public void Configure(EntityTypeBuilder<HourRollup> e) => RollupMapping.Configure(e, "rollups_1h");
}

internal static class RollupMapping
{
    public static void Configure<T>(EntityTypeBuilder<T> e, string table) where T : RollupRow
    {
        e.ToTable(table);
        e.HasKey(x => new { x.NodeId, x.Bucket });
        e.Property(x => x.Bucket).ValueGeneratedNever();
        e.HasIndex(x => x.Bucket);
        // The snake_case convention joins a digit to the word after it ("load1avg"); these columns
        // have been load1_avg... since 0.1.0, and the rollup SQL (RollupSql) uses those names.
        e.Property(x => x.Load1Avg).HasColumnName("load1_avg");
        e.Property(x => x.Load1Max).HasColumnName("load1_max");
        e.Property(x => x.Load5Avg).HasColumnName("load5_avg");
        e.Property(x => x.Load5Max).HasColumnName("load5_max");
        e.Property(x => x.Load15Avg).HasColumnName("load15_avg");
        e.Property(x => x.Load15Max).HasColumnName("load15_max");
    }
}

internal sealed class RollupWatermarkMapping : IEntityTypeConfiguration<RollupWatermark>
{
    public void Configure(EntityTypeBuilder<RollupWatermark> e)
    {
        e.ToTable("rollup_state");
        e.HasKey(x => x.Name);
        e.HasData(
            new RollupWatermark { Name = RollupWatermark.Minute, WatermarkMs = 0 },
            new RollupWatermark { Name = RollupWatermark.Hour, WatermarkMs = 0 });
    }
}

internal sealed class DirtyHourMapping : IEntityTypeConfiguration<DirtyHour>
{
    public void Configure(EntityTypeBuilder<DirtyHour> e)
    {
        e.ToTable("rollup_dirty");
        e.HasKey(x => new { x.NodeId, x.HourMs });
        e.Property(x => x.HourMs).ValueGeneratedNever();
    }
}
