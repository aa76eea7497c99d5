using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>Registration, configuration validation and SQLite connection settings.</summary>
public sealed class StorageSetupTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "sentinelx-setup-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task Default_is_sqlite_in_the_data_dir_with_wal_and_the_connection_pragmas()
    {
        using var host = Build([]);
        await host.Services.MigrateAsync();

        File.Exists(Path.Combine(_dataDir, "sentinelx.db")).Should().BeTrue();
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
        await db.Database.OpenConnectionAsync();
        (await Pragma(db, "journal_mode")).Should().Be("wal");
        (await Pragma(db, "synchronous")).Should().Be("1"); // NORMAL
        (await Pragma(db, "busy_timeout")).Should().Be("5000");
        (await Pragma(db, "foreign_keys")).Should().Be("1");
        scope.ServiceProvider.GetRequiredService<MetricsQuery>().Should().NotBeNull();
        scope.ServiceProvider.GetRequiredService<SampleWriter>().Should().NotBeNull();
    }

    [Fact]
    public async Task Invalid_database_and_retention_settings_fail_start_up_listing_every_problem()
    {
        using var host = Build(new()
        {
            ["Database:Provider"] = "mysql",
            ["Retention:RawHours"] = "0",
            ["Retention:HourDays"] = "3",
        });

        var start = () => host.Services.MigrateAsync();

        var failures = (await start.Should().ThrowAsync<OptionsValidationException>()).Subject.SelectMany(e => e.Failures).ToList();
        failures.Should().Contain("Database:Provider must be 'sqlite' or 'postgres', not 'mysql'.")
            .And.Contain("Retention:RawHours must be between 1 and 8760, not 0.")
            .And.Contain("Retention:HourDays (3) must be at least Retention:MinuteDays (14).");
    }

    [Fact]
    public void Postgres_without_a_connection_string_is_refused_with_a_clear_message()
    {
        var options = new DatabaseOptions { Provider = "postgres" };
        options.Validate().Should().Equal("Database:ConnectionString is required when Database:Provider is 'postgres'.");
        var create = () => SentinelDb.CreateOptions(options, _dataDir);
        create.Should().Throw<InvalidOperationException>().WithMessage("*ConnectionString is required*");
    }

    [Fact]
    public async Task Standalone_provider_opens_the_same_database_for_cli_commands()
    {
        var configuration = new ConfigurationBuilder().Build();
        await using (var services = StorageSetup.CreateStandalone(configuration, _dataDir))
        {
            await services.MigrateAsync();
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();
            db.ApiTokens.Add(new App.Features.Auth.ApiToken { Id = "t1", Name = "ci", Role = "viewer", TokenHash = "abc", Prefix = "sx_" });
            await db.SaveChangesAsync();
        }
        await using var direct = SentinelDb.Create(SentinelDb.CreateOptions(new DatabaseOptions(), _dataDir));
        (await direct.ApiTokens.Select(t => t.Name).ToListAsync()).Should().Equal("ci");
    }

    [Fact]
    public async Task Sqlite_maintenance_checkpoints_the_wal()
    {
        var options = SentinelDb.CreateOptions(new DatabaseOptions(), _dataDir);
        await using (var db = SentinelDb.Create(options))
        {
            await db.Database.MigrateAsync();
            await using var writer = await RunningWriter.StartAsync(new TestDbFactory(options));
            await writer.StoreAsync("n1", Samples.Run(1, Samples.T0, 500));
        }
        var wal = new FileInfo(Path.Combine(_dataDir, "sentinelx.db-wal"));
        wal.Refresh();
        wal.Exists.Should().BeTrue();

        using var host = Build([]);
        var job = host.Services.GetServices<App.Features.Jobs.IPeriodicJob>().Single(j => j.Name == "sqlite-maintenance");
        await job.RunAsync(CancellationToken.None);

        wal.Refresh();
        (wal.Exists ? wal.Length : 0).Should().Be(0);
    }

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddStorage(_dataDir);
        builder.AddMetricsPipeline();
        return builder.Build();
    }

    private static async Task<string> Pragma(SentinelDb db, string name)
    {
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = $"PRAGMA {name}";
        return Convert.ToString(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
