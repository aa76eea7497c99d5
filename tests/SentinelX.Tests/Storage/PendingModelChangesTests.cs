using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Storage;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>
/// A change to the model without a migration fails here, per provider: the model must equal the
/// provider's snapshot. Fix it by adding a migration for both providers (docs/storage.md).
/// </summary>
public sealed class PendingModelChangesTests
{
    private const string Because = "every model change needs a migration for both providers: see \"Adding a migration\" in docs/storage.md";

    [Theory]
    [InlineData(DatabaseOptions.Sqlite)]
    [InlineData(DatabaseOptions.Postgres)]
    public void The_model_matches_the_providers_snapshot(string provider)
    {
        // Nothing is opened: the comparison is between the model and the snapshot.
        var options = provider == DatabaseOptions.Postgres
            ? new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = "Host=unused;Database=unused" }
            : new DatabaseOptions { ConnectionString = "Data Source=unused.db" };
        using var db = SentinelDb.Create(SentinelDb.CreateOptions(options, "unused"));

        db.Should().BeOfType(provider == DatabaseOptions.Postgres ? typeof(PostgresSentinelDb) : typeof(SqliteSentinelDb));
        db.Database.HasPendingModelChanges().Should().BeFalse(Because);
        db.Database.GetMigrations().Should().NotBeEmpty();
    }

    [Fact]
    public void The_context_the_Core_resolves_with_Identity_registered_has_no_pending_changes_either()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Database:ConnectionString"] = "Data Source=unused.db" });
        builder.AddStorage("unused");
        builder.Services.AddSentinelIdentity();
        using var host = builder.Build();
        using var scope = host.Services.CreateScope();

        var db = scope.ServiceProvider.GetRequiredService<SentinelDb>();

        db.Should().BeOfType<SqliteSentinelDb>();
        db.Database.HasPendingModelChanges().Should().BeFalse(Because);
    }
}
