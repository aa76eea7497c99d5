using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Storage;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>
/// A database made by release 0.1.0 (its hand-written migrations, rows in every table) opens with
/// this build through the real start-up path, keeps every row, and ends with the schema of a
/// database this build creates. The fixtures and how they were made: Storage/Upgrade/README.md.
/// </summary>
public abstract class SchemaUpgradeTests : IAsyncLifetime
{
    /// <summary>Every table of 0.1.0; rows-0.1.0.sql puts rows in each.</summary>
    private static readonly string[] Release010Tables =
    [
        "api_tokens", "audit_log", "exec_runs", "forward_rules", "forward_traffic_1h", "forward_traffic_1m", "node_join_requests", "nodes",
        "rollup_dirty", "rollup_state", "rollups_1h", "rollups_1m", "samples", "settings", "user_claims", "user_logins", "user_tokens", "users",
    ];

    protected readonly string DataRoot = Path.Combine(Path.GetTempPath(), "sentinelx-upgrade-" + Guid.NewGuid().ToString("N")[..12]);

    protected static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Storage", "Upgrade", name);

    /// <summary>A database as 0.1.0 left it, with rows-0.1.0.sql applied.</summary>
    protected abstract Task<Database> Create010DatabaseAsync();

    /// <summary>An empty database.</summary>
    protected abstract Task<Database> CreateEmptyDatabaseAsync();

    private static readonly string[] LaterNodeColumns = ["auto_renew", "billing_currency", "billing_cycle", "billing_price", "expires_at", "traffic_quota_bytes"];

    private static string WithoutLaterNodeColumns(string row) =>
        string.Join(" | ", row.Split(" | ").Where(part => !LaterNodeColumns.Contains(part.Split('=')[0])));

    [Fact]
    public async Task A_0_1_0_database_keeps_every_row_and_takes_the_baseline_as_applied()
    {
        var database = await Create010DatabaseAsync();
        (await ReleaseHistoryAsync(database)).Should().Equal(HandWrittenMigrations.Release010Ids);
        var before = new Dictionary<string, List<string>>();
        foreach (var table in Release010Tables)
        {
            before[table] = await SchemaDump.RowsAsync(database.Options, table);
            before[table].Should().NotBeEmpty($"the fixture has rows in {table}");
        }

        await database.MigrateAsync();

        // Removed-Node tombstones move from magic settings keys into their own table; everything else stays as it was.
        var tombstoneSettings = before["settings"].Where(r => r.Contains("key=nodes.removed.", StringComparison.Ordinal)).ToList();
        tombstoneSettings.Should().HaveCount(2);
        before["settings"] = [.. before["settings"].Except(tombstoneSettings)];
        foreach (var table in Release010Tables)
        {
            var after = await SchemaDump.RowsAsync(database.Options, table);
            if (table == "nodes")
            {
                // Billing and quota columns came later: every 0.1.0 Node gets them empty.
                after.Should().OnlyContain(r => r.Contains("billing_price=NULL", StringComparison.Ordinal)
                                                && r.Contains("expires_at=NULL", StringComparison.Ordinal) && r.Contains("traffic_quota_bytes=NULL", StringComparison.Ordinal));
                after = [.. after.Select(WithoutLaterNodeColumns)];
            }

            after.Should().Equal(before[table], $"every row of {table} survives");
        }
        (await SchemaDump.RowsAsync(database.Options, "node_tombstones")).Should().Equal(
            "name=lab \"2\" | node_id=n-gone2 | removed_at=1795305606000",
            "name=old-box | node_id=n-gone1 | removed_at=1795305605000");
        await using (var db = SentinelDb.Create(database.Options))
        {
            var all = db.Database.GetMigrations().ToList();
            (await AppliedAsync(database)).Should().Equal(all).And.NotContain(HandWrittenMigrations.Release010Ids);
            all[0].Should().EndWith("_Baseline");
            (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();

            // Generated keys go on after the rows 0.1.0 stored (PostgreSQL identity sequences included).
            db.AuditEntries.Add(new AuditEntry { At = 1, Actor = "t", ActorKind = "system", Action = "test", Result = AuditResults.Ok });
            await db.SaveChangesAsync();
            (await db.AuditEntries.MaxAsync(a => a.Id)).Should().Be(3);
        }

        // A second start finds nothing to do.
        await database.MigrateAsync();
        await using var again = SentinelDb.Create(database.Options);
        (await AppliedAsync(database)).Should().HaveCount(again.Database.GetMigrations().Count());
    }

    [Fact]
    public async Task Migrating_down_to_the_baseline_puts_the_tombstones_back_into_settings()
    {
        var database = await Create010DatabaseAsync();
        var settings = await SchemaDump.RowsAsync(database.Options, "settings");
        await database.MigrateAsync();

        await using (var db = SentinelDb.Create(database.Options))
            await db.GetService<IMigrator>().MigrateAsync(db.Database.GetMigrations().First());

        (await SchemaDump.RowsAsync(database.Options, "settings")).Should().Equal(settings);
    }

    [Fact]
    public async Task An_upgraded_0_1_0_database_has_the_schema_of_a_new_one()
    {
        var upgraded = await Create010DatabaseAsync();
        await upgraded.MigrateAsync();
        var fresh = await CreateEmptyDatabaseAsync();
        await fresh.MigrateAsync();

        var expected = await SchemaDump.DescribeAsync(fresh.Options, history: true);
        (await SchemaDump.DescribeAsync(upgraded.Options, history: true)).Should().Equal(expected);
        expected.Should().Contain(l => l.StartsWith("constraint nodes PK_nodes", StringComparison.Ordinal));
        expected.Should().Contain(l => l.StartsWith("index rollups_1m IX_rollups_1m_bucket ", StringComparison.Ordinal));
        expected.Should().Contain(l => l.StartsWith("column rollups_1h.load15_avg ", StringComparison.Ordinal));
        expected.Should().Contain(l => l.StartsWith("column __EFMigrationsHistory.migration_id ", StringComparison.Ordinal));
        expected.Should().Contain("pk node_tombstones (node_id)");
    }

    [Fact]
    public async Task A_0_1_0_history_on_a_different_schema_is_refused_and_the_database_left_unchanged()
    {
        var database = await Create010DatabaseAsync();
        await using (var db = SentinelDb.Create(database.Options))
            await db.Database.ExecuteSqlRawAsync("""DROP INDEX "IX_samples_ts" """);

        var migrate = () => database.MigrateAsync();

        (await migrate.Should().ThrowAsync<InvalidOperationException>())
            .WithMessage("*says SentinelX 0.1.0 made it*index IX_samples_ts on samples is missing*left unchanged*");
        (await ReleaseHistoryAsync(database)).Should().Equal(HandWrittenMigrations.Release010Ids);
    }

    [Fact]
    public async Task A_history_from_a_build_before_0_1_0_is_refused_and_the_database_left_unchanged()
    {
        var database = await Create010DatabaseAsync();
        await using (var db = SentinelDb.Create(database.Options))
            await db.Database.ExecuteSqlRawAsync("""DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20261204000000_NodeJoinRequests'""");

        var migrate = () => database.MigrateAsync();

        (await migrate.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*made by a development build*left unchanged*");
        (await ReleaseHistoryAsync(database)).Should().Equal(HandWrittenMigrations.Release010Ids.SkipLast(1));
    }

    /// <summary>The ids in a history table of 0.1.0's layout.</summary>
    private static async Task<List<string>> ReleaseHistoryAsync(Database database)
    {
        await using var db = SentinelDb.Create(database.Options);
        await db.Database.OpenConnectionAsync();
        return [.. (await SchemaDump.QueryAsync(db.Database.GetDbConnection(), """SELECT "MigrationId" FROM "__EFMigrationsHistory" ORDER BY 1""")).Select(r => r[0])];
    }

    private static async Task<List<string>> AppliedAsync(Database database)
    {
        await using var db = SentinelDb.Create(database.Options);
        return [.. await db.Database.GetAppliedMigrationsAsync()];
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(DataRoot, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    /// <summary>A database as the Core finds it: its Database settings and data directory.</summary>
    protected sealed record Database(Dictionary<string, string?> Settings, string DataDir)
    {
        public DbContextOptions<SentinelDb> Options => SentinelDb.CreateOptions(
            new DatabaseOptions { Provider = Settings.GetValueOrDefault("Database:Provider") ?? DatabaseOptions.Sqlite, ConnectionString = Settings.GetValueOrDefault("Database:ConnectionString") },
            DataDir);

        /// <summary>Migrates as the Core does at start-up.</summary>
        public async Task MigrateAsync()
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
            await using var services = StorageSetup.CreateStandalone(configuration, DataDir);
            await services.MigrateAsync();
        }
    }
}

public sealed class SqliteSchemaUpgradeTests : SchemaUpgradeTests
{
    protected override Task<Database> Create010DatabaseAsync()
    {
        var dir = Path.Combine(DataRoot, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        File.Copy(Fixture("sentinelx-0.1.0.db"), Path.Combine(dir, "sentinelx.db"));
        return Task.FromResult(new Database([], dir));
    }

    protected override Task<Database> CreateEmptyDatabaseAsync() =>
        Task.FromResult(new Database([], Path.Combine(DataRoot, Guid.NewGuid().ToString("N")[..8])));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSchemaUpgradeTests(PostgresServer server) : SchemaUpgradeTests
{
    protected override async Task<Database> Create010DatabaseAsync()
    {
        var database = await CreateEmptyDatabaseAsync();
        await using var connection = new NpgsqlConnection(database.Settings["Database:ConnectionString"]);
        await connection.OpenAsync();
        // The schema exactly as 0.1.0's migrations create it on PostgreSQL, then the same rows as the SQLite fixture.
        foreach (var script in new[] { "sentinelx-0.1.0-postgres.sql", "rows-0.1.0.sql" })
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = await File.ReadAllTextAsync(Fixture(script));
            await cmd.ExecuteNonQueryAsync();
        }
        return database;
    }

    protected override async Task<Database> CreateEmptyDatabaseAsync() => new(new()
    {
        ["Database:Provider"] = DatabaseOptions.Postgres,
        ["Database:ConnectionString"] = await server.CreateDatabaseAsync(),
    }, DataRoot);
}
