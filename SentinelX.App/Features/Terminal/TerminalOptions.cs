using Microsoft.Extensions.Options;

namespace SentinelX.App.Features.Terminal;

/// <summary>Web terminal settings (<c>Terminal</c> section, e.g. <c>SENTINELX_Terminal__IdleMinutes</c>).</summary>
public sealed class TerminalOptions
{
    public const string Section = "Terminal";

    /// <summary>Minutes without a keystroke after which a terminal is closed. Fractions are allowed.</summary>
    public double IdleMinutes { get; set; } = 30;

    /// <summary>Terminals one user may have open at once, over all Nodes.</summary>
    public int MaxPerUser { get; set; } = 16;

    public TimeSpan IdleTimeout => TimeSpan.FromMinutes(IdleMinutes);
}

internal sealed class TerminalOptionsValidator : IValidateOptions<TerminalOptions>
{
    public ValidateOptionsResult Validate(string? name, TerminalOptions options)
    {
        var errors = new List<string>();
        if (!(options.IdleMinutes > 0 && options.IdleMinutes <= 7 * 24 * 60))
            errors.Add($"Terminal:IdleMinutes must be more than 0 and at most 10080 (a week); it is {options.IdleMinutes}");
        if (options.MaxPerUser is < 1 or > 1000)
            errors.Add($"Terminal:MaxPerUser must be between 1 and 1000; it is {options.MaxPerUser}");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
