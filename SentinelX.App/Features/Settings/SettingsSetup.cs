using Microsoft.Extensions.Options;
using SentinelX.App.Features.Metrics;

namespace SentinelX.App.Features.Settings;

/// <summary>Registration of the settings the settings page changes at run time.</summary>
public static class SettingsSetup
{
    /// <summary>Needs <c>AddStorage</c> and <c>AddMetricsPipeline</c>: saved retention replaces the configured one
    /// wherever <see cref="IOptions{RetentionOptions}"/> is read (retention job, chart queries).</summary>
    public static WebApplicationBuilder AddSettings(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CoreSettings>();
        builder.Services.AddSingleton<IOptions<RetentionOptions>, CurrentRetention>();
        return builder;
    }
}
