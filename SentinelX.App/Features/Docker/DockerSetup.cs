namespace SentinelX.App.Features.Docker;

public static class DockerSetup
{
    public static WebApplicationBuilder AddDocker(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DockerOperations>();
        return builder;
    }

    public static IEndpointRouteBuilder MapDocker(this IEndpointRouteBuilder app) => app.MapDockerApi();
}
