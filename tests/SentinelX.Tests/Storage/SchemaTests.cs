using System.Data.Common;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Storage;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>
/// The hand-written migrations must build exactly the schema of the current model: a database
/// created by Migrate() is compared with one created by EnsureCreated() by introspection.
/// </summary>
public abstract class SchemaTests(ITestDatabases databases) : IAsyncLifetime
{
    private static readonly string[] SampleColumns =
    [
        "node_id", "seq", "ts", "cpu_percent", "load1", "load5", "load15", "mem_used_bytes", "mem_total_bytes",
        "swap_used_bytes", "swap_total_bytes", "disk_used_bytes", "disk_total_bytes", "disk_read_bps", "disk_write_bps",
        "net_rx_bps", "net_tx_bps", "net_rx_total", "net_tx_total", "tcp_connections", "udp_connections", "processes", "uptime_seconds"
    ];

    private static readonly string[] Tables = ["api_tokens", "audit_log", "exec_runs", "forward_rules", "forward_traffic_1h", "forward_traffic_1m", "node_join_requests", "nodes", "rollup_dirty", "rollup_state", "rollups_1h", "rollups_1m", "samples", "settings", "user_claims", "user_logins", "user_tokens", "users"];

    [Fact]
    public async Task Migrated_schema_equals_the_model_schema()
    {
        var migratedOptions = await databases.CreateAsync();
        await using (var migrated = new SentinelDb(migratedOptions))
            await migrated.Database.MigrateAsync();
        var createdOptions = await databases.CreateAsync();
        await using (var created = new SentinelDb(createdOptions))
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
        await using var db = new SentinelDb(options);
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

    /// <summary>The schema as sorted lines: tables, columns (type, nullability, default, generation), keys, indexes.</summary>
    private static async Task<List<string>> DescribeAsync(DbContextOptions<SentinelDb> options)
    {
        await using var db = new SentinelDb(options);
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        var lines = db.IsPostgres ? await DescribePostgresAsync(connection) : await DescribeSqliteAsync(connection);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static async Task<List<string>> DescribeSqliteAsync(DbConnection c)
    {
        var lines = new List<string>();
        var tables = await QueryAsync(c, "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '!_!_EF%' ESCAPE '!'");
        foreach (var t in tables)
        {
            var table = t[0];
            lines.Add("table " + table);
            if (t[1].Contains("AUTOINCREMENT", StringComparison.OrdinalIgnoreCase))
                lines.Add($"autoincrement {table}");
            var pk = new SortedDictionary<int, string>();
            foreach (var col in await QueryAsync(c, $"SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')"))
            {
                lines.Add($"column {table}.{col[0]} {col[1]} {(col[2] == "1" ? "NOT NULL" : "NULL")}{(col[3] == "" ? "" : " default " + col[3])}");
                if (col[4] != "0")
                    pk[int.Parse(col[4], System.Globalization.CultureInfo.InvariantCulture)] = col[0];
            }
            lines.Add($"pk {table} ({string.Join(',', pk.Values)})");
            foreach (var index in await QueryAsync(c, $"SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"))
            {
                var columns = await QueryAsync(c, $"SELECT name FROM pragma_index_info('{index[0]}') ORDER BY seqno");
                lines.Add($"index {table} {index[0]} {(index[1] == "1" ? "UNIQUE" : "")} {index[2]} ({string.Join(',', columns.Select(x => x[0]))})");
            }
        }
        return lines;
    }

    private static async Task<List<string>> DescribePostgresAsync(DbConnection c)
    {
        var lines = new List<string>();
        foreach (var t in await QueryAsync(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '!_!_EF%' ESCAPE '!'"))
            lines.Add("table " + t[0]);
        foreach (var col in await QueryAsync(c,
                     "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, ''), is_identity, is_generated " +
                     "FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '!_!_EF%' ESCAPE '!'"))
        {
            lines.Add($"column {col[0]}.{col[1]} {col[2]} {(col[3] == "YES" ? "NULL" : "NOT NULL")}" +
                      $"{(col[4] == "" ? "" : " default " + col[4])}{(col[5] == "YES" ? " identity" : "")}{(col[6] == "NEVER" ? "" : " generated")}");
        }
        foreach (var pk in await QueryAsync(c,
                     "SELECT tc.table_name, string_agg(k.column_name, ',' ORDER BY k.ordinal_position) " +
                     "FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k " +
                     "ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name AND k.table_schema = tc.table_schema " +
                     "WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY' AND tc.table_name NOT LIKE '!_!_EF%' ESCAPE '!' GROUP BY tc.table_name"))
            lines.Add($"pk {pk[0]} ({pk[1]})");
        foreach (var index in await QueryAsync(c, "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '!_!_EF%' ESCAPE '!'"))
        {
            var def = index[2];
            var columns = def[(def.LastIndexOf('(') + 1)..def.LastIndexOf(')')].Replace(" ", "", StringComparison.Ordinal);
            lines.Add($"index {index[0]} {index[1]} {(def.StartsWith("CREATE UNIQUE", StringComparison.Ordinal) ? "UNIQUE" : "")} {def} ({columns})");
        }
        return lines;
    }

    private static async Task<List<string[]>> QueryAsync(DbConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!;
            rows.Add(row);
        }
        return rows;
    }
}

public sealed class SqliteSchemaTests() : SchemaTests(new SqliteDatabases());

[Collection(PostgresCollection.Name)]
public sealed class PostgresSchemaTests(PostgresServer server) : SchemaTests(new PostgresDatabases(server));
