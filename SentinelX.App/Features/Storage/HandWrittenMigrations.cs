using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Storage;

namespace SentinelX.App.Features.Storage;

/// <summary>
/// Release 0.1.0 built its schema with five hand-written migrations. Their end result is exactly the
/// schema of each provider's generated <c>Baseline</c> migration (same table, column, key and index
/// names: SchemaUpgradeTests compare the two), so on a 0.1.0 database the baseline is in effect
/// already applied. What differs is EF's history table: 0.1.0 named its columns <c>MigrationId</c>
/// and <c>ProductVersion</c>, this build (snake_case convention) <c>migration_id</c> and
/// <c>product_version</c>. So before migrating, a history table in 0.1.0's layout is replaced, in
/// one transaction, by one in this build's layout that names the baseline as applied, after
/// checking that every table, column and index the baseline creates is there. No other table is
/// touched; later migrations then run as usual.
/// </summary>
internal static class HandWrittenMigrations
{
    /// <summary>The migration ids a 0.1.0 database has in its history.</summary>
    public static readonly IReadOnlyList<string> Release010Ids =
    [
        "20261122000000_Initial",
        "20261124000000_Accounts",
        "20261201000000_RemoteOps",
        "20261202000000_Forwards",
        "20261204000000_NodeJoinRequests",
    ];

    private const string History = "\"__EFMigrationsHistory\"";
    private const string ReleaseHistory = "\"__EFMigrationsHistory_0_1_0\"";

    /// <summary>Takes over a 0.1.0 history if there is one, then applies pending migrations.</summary>
    public static async Task MigrateAsync(SentinelDb db, ILogger logger, CancellationToken ct)
    {
        await AdoptAsync(db, logger, ct);
        await db.Database.MigrateAsync(ct);
    }

    /// <returns>True when a 0.1.0 history was replaced.</returns>
    public static async Task<bool> AdoptAsync(SentinelDb db, ILogger logger, CancellationToken ct)
    {
        var history = db.GetService<IHistoryRepository>();
        if (!await history.ExistsAsync(ct))
            return false;

        var baseline = db.Database.GetMigrations().First();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (!await HasReleaseLayoutAsync(db, ct))
                return false;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // Several Cores may share one PostgreSQL database and start together: one replaces the
            // history, the others wait here and then find nothing left to do. (A SQLite write
            // transaction is exclusive already.)
            if (db.IsPostgres)
                await db.Database.ExecuteSqlRawAsync($"LOCK TABLE {History} IN SHARE ROW EXCLUSIVE MODE", ct);
            if (!await HasReleaseLayoutAsync(db, ct))
                return false;

            var ids = await QueryAsync(db, $"SELECT \"MigrationId\" FROM {History}", r => r.GetString(0), ct);
            // An empty history: 0.1.0 stopped before its first migration committed, so there is nothing to keep.
            if (ids.Count > 0)
            {
                if (!ids.ToHashSet(StringComparer.Ordinal).SetEquals(Release010Ids))
                {
                    throw new InvalidOperationException(
                        $"This database's migration history ({string.Join(", ", ids.Order(StringComparer.Ordinal))}) is not that of SentinelX 0.1.0 " +
                        $"({string.Join(", ", Release010Ids)}): it was made by a development build. This version upgrades databases of release 0.1.0 only; " +
                        "start with a new database, or export what you need first. The database was left unchanged.");
                }

                var problems = await CompareWithBaselineAsync(db, baseline, ct);
                if (problems.Count > 0)
                {
                    throw new InvalidOperationException(
                        "This database's migration history says SentinelX 0.1.0 made it, but its schema differs from 0.1.0's: " +
                        string.Join("; ", problems) + ". The database was left unchanged.");
                }
            }

            await db.Database.ExecuteSqlRawAsync($"ALTER TABLE {History} RENAME TO {ReleaseHistory}", ct);
            await db.Database.ExecuteSqlRawAsync(history.GetCreateScript(), ct);
            if (ids.Count > 0)
                await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(baseline, ProductInfo.GetVersion())), ct);
            await db.Database.ExecuteSqlRawAsync($"DROP TABLE {ReleaseHistory}", ct);
            await tx.CommitAsync(ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        logger.LogInformation("Database made by SentinelX 0.1.0: its migration history now names {Baseline} in place of the 0.1.0 migrations; no other table was changed", baseline);
        return true;
    }

    /// <summary>True while the history table has 0.1.0's column names.</summary>
    private static async Task<bool> HasReleaseLayoutAsync(SentinelDb db, CancellationToken ct) =>
        (await QueryAsync(db, db.IsPostgres
            ? "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '__EFMigrationsHistory' AND column_name = 'MigrationId'"
            : "SELECT name FROM pragma_table_info('__EFMigrationsHistory') WHERE name = 'MigrationId'", r => r.GetString(0), ct)).Count > 0;

    /// <summary>Every table, column and index the baseline creates that the database lacks, as text.</summary>
    private static async Task<List<string>> CompareWithBaselineAsync(SentinelDb db, string baseline, CancellationToken ct)
    {
        var assembly = db.GetService<IMigrationsAssembly>();
        var migration = assembly.CreateMigration(assembly.Migrations[baseline], db.Database.ProviderName!);

        var columns = (await QueryAsync(db, db.IsPostgres
                ? "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                : "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p WHERE m.type = 'table'", Pair, ct))
            .ToHashSet();
        var indexes = (await QueryAsync(db, db.IsPostgres
                ? "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()"
                : "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'", Pair, ct))
            .ToHashSet();
        var tables = columns.Select(c => c.Table).ToHashSet(StringComparer.Ordinal);

        var problems = new List<string>();
        foreach (var table in migration.UpOperations.OfType<CreateTableOperation>())
        {
            if (!tables.Contains(table.Name))
            {
                problems.Add($"table {table.Name} is missing");
                continue;
            }
            problems.AddRange(table.Columns.Where(c => !columns.Contains((table.Name, c.Name))).Select(c => $"column {table.Name}.{c.Name} is missing"));
        }
        problems.AddRange(migration.UpOperations.OfType<CreateIndexOperation>()
            .Where(i => !indexes.Contains((i.Table, i.Name)))
            .Select(i => $"index {i.Name} on {i.Table} is missing"));
        return problems;
    }

    private static (string Table, string Name) Pair(DbDataReader r) => (r.GetString(0), r.GetString(1));

    private static async Task<List<T>> QueryAsync<T>(SentinelDb db, string sql, Func<DbDataReader, T> read, CancellationToken ct)
    {
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
            rows.Add(read(reader));
        return rows;
    }
}
