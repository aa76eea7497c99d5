using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SentinelX.App.Features.Storage;

/// <summary>The SQLite <see cref="SentinelDb"/>: its migrations are in <c>Migrations/Sqlite</c>.</summary>
public sealed class SqliteSentinelDb(DbContextOptions<SentinelDb> options) : SentinelDb(options);

/// <summary>The PostgreSQL <see cref="SentinelDb"/>: its migrations are in <c>Migrations/Postgres</c>.</summary>
public sealed class PostgresSentinelDb(DbContextOptions<SentinelDb> options) : SentinelDb(options);

/// <summary>
/// What <c>dotnet ef</c> builds the SQLite model with (docs/storage.md: adding a migration).
/// Nothing is opened: adding a migration compares the model with the snapshot only.
/// </summary>
internal sealed class SqliteSentinelDbDesignFactory : IDesignTimeDbContextFactory<SqliteSentinelDb>
{
    public SqliteSentinelDb CreateDbContext(string[] args) =>
        new(SentinelDb.CreateOptions(new DatabaseOptions { ConnectionString = "Data Source=design-time.db" }, "unused"));
}

/// <summary>What <c>dotnet ef</c> builds the PostgreSQL model with; no server is needed to add a migration.</summary>
internal sealed class PostgresSentinelDbDesignFactory : IDesignTimeDbContextFactory<PostgresSentinelDb>
{
    public PostgresSentinelDb CreateDbContext(string[] args) =>
        new(SentinelDb.CreateOptions(new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = "Host=localhost;Database=sentinelx" }, "unused"));
}

/// <summary>Hands out the provider's <see cref="SentinelDb"/> subclass (the default factory cannot create an abstract type).</summary>
internal sealed class SentinelDbFactory(DbContextOptions<SentinelDb> options) : IDbContextFactory<SentinelDb>
{
    public SentinelDb CreateDbContext() => SentinelDb.Create(options);
}
