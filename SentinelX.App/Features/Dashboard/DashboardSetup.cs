namespace SentinelX.App.Features.Dashboard;

public static class DashboardSetup
{
    /// <summary>The dashboard's services: this month's traffic per Node.</summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TrafficMeter>();
        return builder;
    }
}
