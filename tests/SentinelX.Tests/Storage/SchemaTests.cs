using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>
/// The migrations must build exactly the schema of the current model: a database created by
/// Migrate() is compared with one created by EnsureCreated() by introspection.
/// </summary>
public abstract class SchemaTests(ITestDatabases databases) : IAsyncLifetime
{
    private static readonly string[] SampleColumns =
    [
        "node_id", "seq", "ts", "cpu_percent", "load1", "load5", "load15", "mem_used_bytes", "mem_total_bytes",
        "swap_used_bytes", "swap_total_bytes", "disk_used_bytes", "disk_total_bytes", "disk_read_bps", "disk_write_bps",
        "net_rx_bps", "net_tx_bps", "net_rx_total", "net_tx_total", "tcp_connections", "udp_connections", "processes", "uptime_seconds"
    ];

    private static readonly string[] Tables = ["alert_channels", "alert_deliveries", "alert_events", "alert_rules", "alert_silences", "api_tokens", "audit_log", "exec_runs", "forward_rules", "forward_traffic_1h", "forward_traffic_1m", "node_join_requests", "node_tombstones", "nodes", "probe_results", "probe_results_1h", "probe_results_1m", "probes", "rollup_dirty", "rollup_state", "rollups_1h", "rollups_1m", "samples", "settings", "status_incidents", "status_pages", "user_claims", "user_logins", "user_tokens", "users"];

    [Fact]
    public async Task Migrated_schema_equals_the_model_schema()
    {
        var migratedOptions = await databases.CreateAsync();
        await using (var migrated = SentinelDb.Create(migratedOptions))
            await migrated.Database.MigrateAsync();
        var createdOptions = await databases.CreateAsync();
        await using (var created = SentinelDb.Create(createdOptions))
            (await created.Database.EnsureCreatedAsync()).Should().BeTrue();

        var fromMigrations = await DescribeAsync(migratedOptions);
        var fromModel = await DescribeAsync(createdOptions);

        fromMigrations.Should().Equal(fromModel);
        fromModel.Where(l => l.StartsWith("table ", StringComparison.Ordinal)).Should().Equal(Tables.Select(t => "table " + t));
        fromModel.Should().Contain(l => l.StartsWith("index samples ", StringComparison.Ordinal) && l.EndsWith("(node_id,ts)", StringComparison.Ordinal));
        fromModel.Should().Contain(l => l.StartsWith("index samples ", StringComparison.Ordinal) && l.EndsWith("(ts)", StringComparison.Ordinal));
        fromModel.Should().Contain(l => l.StartsWith("index nodes ", StringComparison.Ordinal) && l.Contains("UNIQUE") && l.EndsWith("(machine_id)", StringComparison.Ordinal));
        fromModel.Should().Contain(l => l.StartsWith("index api_tokens ", StringComparison.Ordinal) && l.Contains("UNIQUE") && l.EndsWith("(token_hash)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Samples_table_has_one_column_per_scalar_metric_and_no_generated_keys()
    {
        var options = await databases.CreateAsync();
        await using var db = SentinelDb.Create(options);
        await db.Database.MigrateAsync();
        var lines = await DescribeAsync(options);

        var sampleColumns = lines.Where(l => l.StartsWith("column samples.", StringComparison.Ordinal))
            .Select(l => l["column samples.".Length..].Split(' ')[0]).Order().ToList();
        sampleColumns.Should().Equal(SampleColumns.Order());
        lines.Should().Contain("pk samples (node_id,seq)");
        lines.Should().Contain("pk rollups_1m (node_id,bucket)");
        lines.Should().Contain("pk rollups_1h (node_id,bucket)");
        // Metric tables are keyed by (node, seq) or (node, bucket): no generated keys, no defaults.
        lines.Where(l => l.Contains(" samples", StringComparison.Ordinal) || l.Contains(" rollup", StringComparison.Ordinal))
            .Should().NotContain(l => l.Contains("identity", StringComparison.OrdinalIgnoreCase) || l.Contains("autoincrement", StringComparison.OrdinalIgnoreCase) || l.Contains("default"));
        (await db.RollupWatermarks.OrderBy(w => w.Name).Select(w => w.Name + "=" + w.WatermarkMs).ToListAsync())
            .Should().Equal("1h=0", "1m=0");
        (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => databases.DisposeAsync().AsTask();

    private static Task<List<string>> DescribeAsync(DbContextOptions<SentinelDb> options) => SchemaDump.DescribeAsync(options);
}

#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class SqliteSchemaTests() : SchemaTests(new SqliteDatabases());
#pragma warning restore CA2000

[Collection(PostgresCollection.Name)]
#pragma warning disable CA2000 // the base class disposes the databases in DisposeAsync
public sealed class PostgresSchemaTests(PostgresServer server) : SchemaTests(new PostgresDatabases(server));
#pragma warning restore CA2000
