using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Exec;

public static class ExecSetup
{
    public static WebApplicationBuilder AddExec(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ExecService>();
        builder.Services.AddSingleton<INodeSessionHandlers>(sp => sp.GetRequiredService<ExecService>());
        return builder;
    }

    public static IEndpointRouteBuilder MapExec(this IEndpointRouteBuilder app) => app.MapExecApi();
}
