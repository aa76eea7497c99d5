using Microsoft.AspNetCore.DataProtection;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Alerts;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Dashboard;
using SentinelX.App.Features.Exec;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Files;
using SentinelX.App.Features.Docker;
using SentinelX.App.Features.Health;
using SentinelX.App.Features.Install;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Probes;
using SentinelX.App.Features.Processes;
using SentinelX.App.Features.Prometheus;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.App.Features.Settings;
using SentinelX.App.Features.StatusPages;
using SentinelX.App.Features.Layout;
using SentinelX.App.Features.Storage;
using SentinelX.App.Features.Terminal;
using SentinelX.Shared.Protocol;

namespace SentinelX.App;

/// <summary>Builds and starts the Core web host. <c>sentinelx serve</c> and the tests use the same path.</summary>
public static class CoreHost
{
    /// <summary>Builds the Core with its data directory prepared: key generated, database migrated, nodes loaded.</summary>
    /// <param name="configure">Runs on the finished builder before it builds: in-process tests add a log sink or leave out a background job here.</param>
    public static async Task<WebApplication> CreateAsync(string dataDir, string? urls, IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        dataDir = Path.GetFullPath(dataDir);
        // The application name finds the UI's static asset manifest; named here, not taken from the
        // entry assembly, the Core also serves its UI when a test process hosts it.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(CoreHost).Assembly.GetName().Name,
        });
        builder.AddDataDirectory(dataDir);
        CoreConfiguration.Apply(builder.Configuration, settings);
        urls ??= builder.Configuration["Urls"] ?? CoreConfiguration.DefaultUrls;
        builder.WebHost.UseUrls(urls);
        // `dotnet run` serves the UI's files from where the build left them (their manifest sits
        // beside the binary); a published Core has them in wwwroot and no manifest, so this is a no-op there.
        builder.WebHost.UseStaticWebAssets();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new CoreKeyStore(dataDir));
        builder.Services.AddOpenApi();
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            // Protocol types (samples, system info) serialize through their generated code: the node list is the hot read.
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJsonContext.Default);
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });
        builder.AddProblemResponses();
        builder.AddStorage(dataDir);
        builder.AddMetricsPipeline();
        builder.AddAuth();
        builder.AddAccounts();
        builder.AddNodes();
        builder.AddUiLocalization();
        builder.AddLayout();
        builder.AddTransportSecurity(urls);
        builder.AddDashboard();
        builder.AddInstall();
        builder.AddSettings();
        builder.AddAudit();
        builder.AddRemoteAccess();
        builder.AddExec();
        builder.AddForwards();
        builder.AddFiles();
        builder.AddDocker();
        builder.AddTerminal();
        builder.AddProbes();
        builder.AddAlerts();
        builder.AddProcesses();
        builder.AddStatusPages();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseTransportSecurity();
        app.UseProblemResponses();
        app.UseWebSockets();
        app.UseRequestLocalization();
        app.UseAuthentication();
        app.UseFirstRunSetup();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapOpenApi().AllowAnonymous();
        app.MapHealthApi();
        app.MapNodeGateway();
        app.MapNodesApi();
        app.MapTokensApi();
        app.MapAuditApi();
        app.MapRemoteAccess();
        app.MapExec();
        app.MapForwards();
        app.MapFiles();
        app.MapDocker();
        app.MapTerminal();
        app.MapProbes();
        app.MapAlerts();
        app.MapProcesses();
        app.MapStatusPages();
        app.MapPrometheus(app.Configuration);
        app.MapAccountEndpoints();
        app.MapLayout();
        app.MapInstall();

        var key = app.Services.GetRequiredService<CoreKeyStore>();
        var isNewKey = key.TryRead() is null;
        key.GetOrCreate();
        if (isNewKey) app.Logger.LogInformation("Generated the enrollment key in {Path}; print it with `sentinelx key show`", key.KeyPath);
        await app.Services.MigrateAsync(ct);
        await app.Services.GetRequiredService<CoreSettings>().LoadAsync(ct);
        await app.Services.GetRequiredService<NodeRegistry>().LoadAsync(app.Services, ct);
        await app.Services.GetRequiredService<SetupState>().AnnounceAsync(app.Services, app.Logger, ct);
        return app;
    }
}
