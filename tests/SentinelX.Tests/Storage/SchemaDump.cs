using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Storage;

namespace SentinelX.Tests.Storage;

/// <summary>A database's schema and rows as sorted lines of text, read by introspection, to compare two databases.</summary>
internal static partial class SchemaDump
{
    /// <summary>
    /// Tables, columns (type, nullability, default, generation), primary keys, constraint names,
    /// foreign keys and indexes, sorted. EF's own tables are left out, except its migration history
    /// when <paramref name="history"/> is set.
    /// </summary>
    public static async Task<List<string>> DescribeAsync(DbContextOptions<SentinelDb> options, bool history = false)
    {
        await using var db = SentinelDb.Create(options);
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        var lines = db.IsPostgres ? await DescribePostgresAsync(connection, history) : await DescribeSqliteAsync(connection, history);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Every row of <paramref name="table"/> as "column=value" pairs in column-name order, rows sorted.</summary>
    public static async Task<List<string>> RowsAsync(DbContextOptions<SentinelDb> options, string table)
    {
        await using var db = SentinelDb.Create(options);
        await db.Database.OpenConnectionAsync();
        await using var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = $"SELECT * FROM {table}";
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            var fields = Enumerable.Range(0, reader.FieldCount)
                .Select(i => reader.GetName(i) + "=" + (reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)))
                .Order(StringComparer.Ordinal);
            rows.Add(string.Join(" | ", fields));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    private static async Task<List<string>> DescribeSqliteAsync(DbConnection c, bool history)
    {
        var lines = new List<string>();
        var tables = await QueryAsync(c, $"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND {Keep("name", history)}");
        foreach (var t in tables)
        {
            var table = t[0];
            lines.Add("table " + table);
            if (t[1].Contains("AUTOINCREMENT", StringComparison.OrdinalIgnoreCase))
                lines.Add($"autoincrement {table}");
            foreach (Match constraint in ConstraintName().Matches(t[1]))
                lines.Add($"constraint {table} {constraint.Groups[1].Value}");
            var pk = new SortedDictionary<int, string>();
            foreach (var col in await QueryAsync(c, $"SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')"))
            {
                lines.Add($"column {table}.{col[0]} {col[1]} {(col[2] == "1" ? "NOT NULL" : "NULL")}{(col[3] == "" ? "" : " default " + col[3])}");
                if (col[4] != "0")
                    pk[int.Parse(col[4], CultureInfo.InvariantCulture)] = col[0];
            }
            lines.Add($"pk {table} ({string.Join(',', pk.Values)})");
            foreach (var fk in await QueryAsync(c, $"SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{table}')"))
                lines.Add($"fk {table}.{fk[1]} -> {fk[0]}.{fk[2]} on delete {fk[3]}");
            foreach (var index in await QueryAsync(c, $"SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"))
            {
                var columns = await QueryAsync(c, $"SELECT name FROM pragma_index_info('{index[0]}') ORDER BY seqno");
                lines.Add($"index {table} {index[0]} {(index[1] == "1" ? "UNIQUE" : "")} {index[2]} ({string.Join(',', columns.Select(x => x[0]))})");
            }
        }
        return lines;
    }

    private static async Task<List<string>> DescribePostgresAsync(DbConnection c, bool history)
    {
        var lines = new List<string>();
        foreach (var t in await QueryAsync(c, $"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND {Keep("table_name", history)}"))
            lines.Add("table " + t[0]);
        foreach (var col in await QueryAsync(c,
                     "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, ''), is_identity, is_generated, coalesce(character_maximum_length::text, '') " +
                     $"FROM information_schema.columns WHERE table_schema = 'public' AND {Keep("table_name", history)}"))
        {
            lines.Add($"column {col[0]}.{col[1]} {col[2]}{(col[7] == "" ? "" : $"({col[7]})")} {(col[3] == "YES" ? "NULL" : "NOT NULL")}" +
                      $"{(col[4] == "" ? "" : " default " + col[4])}{(col[5] == "YES" ? " identity" : "")}{(col[6] == "NEVER" ? "" : " generated")}");
        }
        foreach (var pk in await QueryAsync(c,
                     "SELECT tc.table_name, string_agg(k.column_name, ',' ORDER BY k.ordinal_position) " +
                     "FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k " +
                     "ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name AND k.table_schema = tc.table_schema " +
                     $"WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY' AND {Keep("tc.table_name", history)} GROUP BY tc.table_name"))
            lines.Add($"pk {pk[0]} ({pk[1]})");
        foreach (var constraint in await QueryAsync(c,
                     "SELECT relname, conname, pg_get_constraintdef(pg_constraint.oid) FROM pg_constraint JOIN pg_class ON pg_class.oid = conrelid " +
                     $"WHERE connamespace = 'public'::regnamespace AND {Keep("relname", history)}"))
            lines.Add($"constraint {constraint[0]} {constraint[1]} {constraint[2]}");
        foreach (var index in await QueryAsync(c, $"SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND {Keep("tablename", history)}"))
        {
            var def = index[2];
            var columns = def[(def.LastIndexOf('(') + 1)..def.LastIndexOf(')')].Replace(" ", "", StringComparison.Ordinal);
            lines.Add($"index {index[0]} {index[1]} {(def.StartsWith("CREATE UNIQUE", StringComparison.Ordinal) ? "UNIQUE" : "")} {def} ({columns})");
        }
        return lines;
    }

    /// <summary>A SQL condition on a table-name column: not one of EF's tables, or its history when asked for.</summary>
    private static string Keep(string column, bool history) =>
        $"({column} NOT LIKE '!_!_EF%' ESCAPE '!'{(history ? $" OR {column} = '__EFMigrationsHistory'" : "")})";

    public static async Task<List<string[]>> QueryAsync(DbConnection c, string sql)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            var row = new string[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)!;
            rows.Add(row);
        }
        return rows;
    }

    [GeneratedRegex("CONSTRAINT \"([^\"]+)\"")]
    private static partial Regex ConstraintName();
}
