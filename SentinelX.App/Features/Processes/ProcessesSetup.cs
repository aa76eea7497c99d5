namespace SentinelX.App.Features.Processes;

public static class ProcessesSetup
{
    public static WebApplicationBuilder AddProcesses(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<NodeProcesses>();
        return builder;
    }

    public static IEndpointRouteBuilder MapProcesses(this IEndpointRouteBuilder app) => app.MapProcessesApi();
}
