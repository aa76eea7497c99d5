namespace SentinelX.App.Features.Forwards;

/// <summary>How long forwarding traffic is kept (section <c>Forwards</c>).</summary>
public sealed class ForwardOptions
{
    /// <summary>Days of one-minute traffic buckets (charts up to 24 h use them).</summary>
    public int MinuteDays { get; set; } = 3;

    /// <summary>Days of one-hour buckets: a little over a year, so last year's same month is still there.</summary>
    public int HourDays { get; set; } = 400;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinuteDays is < 1 or > 90) errors.Add("Forwards:MinuteDays must be within 1 to 90.");
        if (HourDays is < 32 or > 3660) errors.Add("Forwards:HourDays must be within 32 to 3660.");
        return errors;
    }
}

/// <summary>Reports every bad <see cref="ForwardOptions"/> value at start-up.</summary>
internal sealed class ForwardOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<ForwardOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ForwardOptions options) =>
        options.Validate() is { Count: > 0 } errors
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors)
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}
