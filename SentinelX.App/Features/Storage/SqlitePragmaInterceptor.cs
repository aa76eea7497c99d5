using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SentinelX.App.Features.Storage;

/// <summary>
/// Sets SQLite's per-connection pragmas each time EF opens a connection: WAL so readers never block
/// the metric writer, synchronous=NORMAL (durable at checkpoints, safe in WAL against corruption),
/// a busy timeout so the writer and the jobs wait for each other instead of failing, and foreign keys.
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    public static readonly SqlitePragmaInterceptor Instance = new();

    private const string Pragmas =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        cmd.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
