namespace SentinelX.App.Features.Files;

public static class FilesSetup
{
    public static WebApplicationBuilder AddFiles(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FilesClient>();
        builder.Services.AddSingleton<FilesService>();
        return builder;
    }

    public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app) => app.MapFilesApi();
}
