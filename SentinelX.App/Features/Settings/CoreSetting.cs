using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Settings;

/// <summary>One setting changed from the UI (public URL, retention, theme...), stored as text.</summary>
public sealed class CoreSetting
{
    public required string Key { get; set; }
    public required string Value { get; set; }

    /// <summary>Unix ms.</summary>
    public long UpdatedAt { get; set; }
}

internal sealed class CoreSettingMapping : IEntityTypeConfiguration<CoreSetting>
{
    public void Configure(EntityTypeBuilder<CoreSetting> e)
    {
        e.ToTable("settings");
        e.HasKey(x => x.Key);
    }
}
