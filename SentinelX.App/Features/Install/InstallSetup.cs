using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace SentinelX.App.Features.Install;

/// <summary>
/// The one-line Node install: <c>GET /install.sh</c> (the script with this Core's URL and the SHA-256
/// of every Node binary filled in; the line checks the script's own SHA-256 before running it) and
/// <c>GET /download/sentinelx-node-&lt;rid&gt;[.sha256]</c>. Both are open: a new server has no token,
/// and the enrollment key it is given is what admits it.
/// </summary>
public static class InstallSetup
{
    public static WebApplicationBuilder AddInstall(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DownloadsOptions>().BindConfiguration(DownloadsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DownloadsOptions>, DownloadsOptionsValidator>();
        services.AddOptions<CorePublicOptions>().BindConfiguration(CorePublicOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CorePublicOptions>, CorePublicOptionsValidator>();
        services.AddSingleton<NodeBinaries>();
        services.AddSingleton<InstallCommand>();
        services.AddSingleton<InstallScript>();
        return builder;
    }

    public static IEndpointRouteBuilder MapInstall(this IEndpointRouteBuilder app)
    {
        app.MapGet("/install.sh", GetScript).AllowAnonymous().WithTags("Install");
        app.MapGet("/download/{file}", DownloadAsync).AllowAnonymous().WithTags("Install");

        // Said once the host has started (after options are validated): a 404 tells an anonymous client
        // what to build, and this line tells the operator where the Core looked.
        var services = app.ServiceProvider;
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => LogAvailable(services));
        return app;
    }

    private static void LogAvailable(IServiceProvider services)
    {
        var binaries = services.GetRequiredService<NodeBinaries>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(InstallSetup));
        if (binaries.Available() is { Count: > 0 } rids)
            logger.LogInformation("Serving the Node for {Rids} to /install.sh", string.Join(", ", rids));
        else
            logger.LogWarning("No Node binary to install: looked in {Directories}; build one with packaging/build-node.sh [--rid RID]",
                string.Join(", ", binaries.SearchDirectories));
    }

    private static async Task<IResult> GetScript(HttpRequest request, InstallScript script, InstallCommand command, NodeBinaries binaries, CancellationToken ct) =>
        script.Render(command.PublicUrl(request), await binaries.PinsAsync(ct)) is { } text
            ? Results.Text(text, "text/x-shellscript; charset=utf-8")
            : Results.Problem(title: "Install script missing", statusCode: StatusCodes.Status404NotFound,
                detail: $"this Core was shipped without {InstallScript.FileName} (packaging/install.sh in the source)");

    private static async Task<IResult> DownloadAsync(string file, NodeBinaries binaries, CancellationToken ct)
    {
        if (!NodeBinaries.TryParseDownload(file, out var rid, out var checksum))
        {
            return Results.Problem(title: "Download not found", statusCode: StatusCodes.Status404NotFound,
                detail: $"no download named {file}; the Core serves {NodeBinaries.DownloadPrefix}<rid> and {NodeBinaries.DownloadPrefix}<rid>{NodeBinaries.ChecksumSuffix} for {string.Join(", ", NodeBinaries.Rids)}");
        }

        if (binaries.Find(rid) is not { } binary)
        {
            return Results.Problem(title: "Node binary not built", statusCode: StatusCodes.Status404NotFound,
                detail: $"no Node binary for {rid} has been built; run packaging/build-node.sh --rid {rid}");
        }

        var sha = await binaries.Sha256Async(binary, ct);
        // The sha256sum line format, so "sha256sum -c" accepts the file as it is.
        if (checksum) return Results.Text($"{sha}  {NodeBinaries.FileName}\n", "text/plain; charset=utf-8");
        return Results.File(binary.FullName, "application/octet-stream", fileDownloadName: NodeBinaries.FileName,
            lastModified: binary.LastWriteTimeUtc, entityTag: new EntityTagHeaderValue($"\"{sha}\""), enableRangeProcessing: true);
    }
}
