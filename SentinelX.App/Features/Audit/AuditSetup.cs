using SentinelX.App.Features.Jobs;

namespace SentinelX.App.Features.Audit;

public static class AuditSetup
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddScoped<CircuitClient>();
        builder.Services.AddPeriodicJob<AuditRetentionJob>();
        return builder;
    }
}
