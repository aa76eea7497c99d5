using Microsoft.Extensions.Options;

namespace SentinelX.App.Features.Metrics;

/// <summary>
/// The "Retention" configuration section: how long each metric tier is kept. The settings page can
/// override it at run time (<c>Settings/CoreSettings</c>); the jobs and queries read the current values.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";
    public const int MaxRawHours = 24 * 365;
    public const int MaxMinuteDays = 3650;
    public const int MaxHourDays = 36500;

    /// <summary>Raw (per-second) samples, in hours.</summary>
    public int RawHours { get; set; } = 24;

    /// <summary>1-minute rollups, in days.</summary>
    public int MinuteDays { get; set; } = 14;

    /// <summary>1-hour rollups, in days.</summary>
    public int HourDays { get; set; } = 400;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RawHours is < 1 or > MaxRawHours)
            errors.Add($"Retention:RawHours must be between 1 and 8760, not {RawHours}.");
        if (MinuteDays is < 1 or > MaxMinuteDays)
            errors.Add($"Retention:MinuteDays must be between 1 and 3650, not {MinuteDays}.");
        if (HourDays is < 1 or > MaxHourDays)
            errors.Add($"Retention:HourDays must be between 1 and 36500, not {HourDays}.");
        // A coarser tier that ends sooner than a finer one would leave holes in long charts.
        if (MinuteDays * 24L < RawHours)
            errors.Add($"Retention:MinuteDays ({MinuteDays} d) must cover at least Retention:RawHours ({RawHours} h).");
        if (HourDays < MinuteDays)
            errors.Add($"Retention:HourDays ({HourDays}) must be at least Retention:MinuteDays ({MinuteDays}).");
        return errors;
    }

    public long RawRetentionMs => RawHours * RollupSql.HourMs;
    public long MinuteRetentionMs => MinuteDays * 24 * RollupSql.HourMs;
    public long HourRetentionMs => HourDays * 24 * RollupSql.HourMs;
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
