using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Jobs;

namespace SentinelX.App.Features.Metrics;

/// <summary>Registration of metric storage: the writer, rollups, retention and queries.</summary>
public static class MetricsSetup
{
    /// <summary>Needs <c>AddStorage</c>. Registers <see cref="SampleWriter"/> (singleton + hosted),
    /// <see cref="MetricsQuery"/>, the rollup and retention jobs, and validated <see cref="RetentionOptions"/>.</summary>
    public static IHostApplicationBuilder AddMetricsPipeline(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SampleWriter>(sp, new SampleWriterSettings()));
        services.AddHostedService(sp => sp.GetRequiredService<SampleWriter>());
        services.AddSingleton<MetricsQuery>();
        services.AddPeriodicJob<RollupJob>();
        services.AddPeriodicJob<RetentionJob>();
        return builder;
    }
}
