using SentinelX.App.Features.Jobs;

namespace SentinelX.App.Features.Probes;

public static class ProbesSetup
{
    public static WebApplicationBuilder AddProbes(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ProbeStore>();
        builder.Services.AddSingleton<ProbeResultsQuery>();
        builder.Services.AddSingleton<ProbeSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProbeSync>());
        builder.Services.AddPeriodicJob<ProbeRollupJob>();
        return builder;
    }

    public static IEndpointRouteBuilder MapProbes(this IEndpointRouteBuilder app) => app.MapProbesApi();
}
