using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Jobs;

namespace SentinelX.App.Features.Storage;

/// <summary>Registration and start-up of the Core's database.</summary>
public static class StorageSetup
{
    /// <summary>
    /// Registers <see cref="SentinelDb"/> (scoped, and <see cref="IDbContextFactory{SentinelDb}"/>
    /// for singletons), <see cref="DatabaseOptions"/> validated at start-up, and SQLite maintenance.
    /// </summary>
    public static IHostApplicationBuilder AddStorage(this IHostApplicationBuilder builder, string dataDir)
    {
        AddStorageServices(builder.Services, dataDir);
        builder.Services.AddPeriodicJob<SqliteMaintenanceJob>();
        return builder;
    }

    /// <summary>
    /// A service provider holding only the database (with configuration), for CLI commands that
    /// open the database without running the Core. Throws when the Database section is invalid.
    /// </summary>
    public static ServiceProvider CreateStandalone(IConfiguration configuration, string dataDir)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        AddStorageServices(services, dataDir);
        var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value; // validates, reporting every problem
        return provider;
    }

    /// <summary>
    /// Validates every option registered with ValidateOnStart (reporting all problems of all
    /// sections at once, before anything touches the database), then applies pending migrations
    /// (a 0.1.0 database first has its migration history rewritten, see <see cref="HandWrittenMigrations"/>).
    /// Call once at start-up, before the host starts.
    /// </summary>
    public static async Task MigrateAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        services.GetService<IStartupValidator>()?.Validate();
        var factory = services.GetRequiredService<IDbContextFactory<SentinelDb>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("SentinelX.Storage");
        await HandWrittenMigrations.MigrateAsync(db, logger, ct);
    }

    private static void AddStorageServices(IServiceCollection services, string dataDir)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();
        // SentinelDb is abstract: a scoped context comes from the factory, as the provider's subclass
        // (registered first, so AddDbContextFactory does not register the abstract type itself).
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<SentinelDb>>().CreateDbContext());
        services.AddDbContextFactory<SentinelDb, SentinelDbFactory>((sp, options) =>
            SentinelDb.Configure(options, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value, dataDir));
    }
}
