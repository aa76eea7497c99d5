namespace SentinelX.App.Features.Metrics;

/// <summary>
/// SQL shared by the rollup job and the queries, generated from <see cref="MetricColumns"/>.
/// Plain SQL valid on SQLite and PostgreSQL alike: <c>ON CONFLICT</c> upserts, <c>%</c> for bucket
/// starts, ordinal <c>GROUP BY</c>, and <c>CAST(… AS DOUBLE PRECISION)</c> (REAL affinity in SQLite).
/// </summary>
internal static class RollupSql
{
    public const long MinuteMs = 60_000;
    public const long HourMs = 3_600_000;

    /// <summary>
    /// Upserts rollups of <paramref name="target"/> for buckets in [@from, @to) from raw samples
    /// (<paramref name="fromRaw"/>) or from the finer rollup table <paramref name="source"/>;
    /// with <paramref name="perNode"/> only for @node_id.
    /// </summary>
    public static string Upsert(string target, string source, long widthMs, bool fromRaw, bool perNode)
    {
        var t = fromRaw ? "ts" : "bucket";
        var lastKey = fromRaw ? "seq" : "bucket";
        var inner = new List<string> { "node_id", $"{t} - {t} % {widthMs} AS b", fromRaw ? "COUNT(*) AS n" : "SUM(sample_count) AS n", $"MAX({lastKey}) AS last_key" };
        foreach (var g in MetricColumns.Gauges)
        {
            // The weighted mean keeps an hour's average equal to the mean of its samples, however
            // unevenly they fell into minutes.
            inner.Add(fromRaw
                ? $"CAST(AVG({g.Name}) AS DOUBLE PRECISION) AS {g.Name}_avg"
                : $"SUM({g.Name}_avg * sample_count) / SUM(sample_count) AS {g.Name}_avg");
            inner.Add(fromRaw ? $"MAX({g.Name}) AS {g.Name}_max" : $"MAX({g.Name}_max) AS {g.Name}_max");
        }

        var targetColumns = new List<string> { "node_id", "bucket", "sample_count" };
        var outer = new List<string> { "g.node_id", "g.b", "g.n" };
        foreach (var c in MetricColumns.All)
        {
            if (c.IsTotal)
            {
                targetColumns.Add($"{c.Name}_last");
                outer.Add(fromRaw ? $"l.{c.Name}" : $"l.{c.Name}_last");
            }
            else
            {
                targetColumns.AddRange([$"{c.Name}_avg", $"{c.Name}_max"]);
                outer.AddRange([$"g.{c.Name}_avg", $"g.{c.Name}_max"]);
            }
        }

        var updates = targetColumns.Skip(2).Select(c => $"{c} = excluded.{c}");
        return $"INSERT INTO {target} ({string.Join(", ", targetColumns)}) " +
               $"SELECT {string.Join(", ", outer)} FROM (" +
               $"SELECT {string.Join(", ", inner)} FROM {source} " +
               $"WHERE {t} >= @from AND {t} < @to{(perNode ? " AND node_id = @node_id" : "")} GROUP BY 1, 2) g " +
               $"JOIN {source} l ON l.node_id = g.node_id AND l.{lastKey} = g.last_key " +
               // WHERE TRUE: SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT (parser ambiguity).
               $"WHERE TRUE ON CONFLICT (node_id, bucket) DO UPDATE SET {string.Join(", ", updates)}";
    }

    /// <summary>
    /// Partial aggregates of one node per @step-wide bucket in [@from, @to): columns b, n, then per
    /// gauge the sum (weighted by sample count) and the max, then per total the last value.
    /// </summary>
    public static string Series(string source, bool fromRaw)
    {
        var t = fromRaw ? "ts" : "bucket";
        var lastKey = fromRaw ? "seq" : "bucket";
        var inner = new List<string> { $"{t} - {t} % @step AS b", fromRaw ? "COUNT(*) AS n" : "SUM(sample_count) AS n", $"MAX({lastKey}) AS last_key" };
        var outer = new List<string> { "g.b", "g.n" };
        foreach (var g in MetricColumns.Gauges)
        {
            inner.Add(fromRaw
                ? $"CAST(SUM({g.Name}) AS DOUBLE PRECISION) AS {g.Name}_sum"
                : $"CAST(SUM({g.Name}_avg * sample_count) AS DOUBLE PRECISION) AS {g.Name}_sum");
            inner.Add(fromRaw ? $"MAX({g.Name}) AS {g.Name}_max" : $"MAX({g.Name}_max) AS {g.Name}_max");
            outer.AddRange([$"g.{g.Name}_sum", $"g.{g.Name}_max"]);
        }
        foreach (var c in MetricColumns.Totals)
            outer.Add(fromRaw ? $"l.{c.Name}" : $"l.{c.Name}_last");

        return $"SELECT {string.Join(", ", outer)} FROM (" +
               $"SELECT {string.Join(", ", inner)} FROM {source} " +
               $"WHERE node_id = @node_id AND {t} >= @from AND {t} < @to GROUP BY 1) g " +
               $"JOIN {source} l ON l.node_id = @node_id AND l.{lastKey} = g.last_key ORDER BY g.b";
    }
}
