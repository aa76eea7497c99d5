using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;

namespace SentinelX.App.Features.Storage;

/// <summary>
/// Keeps EF's own names for primary keys, indexes and foreign keys (<c>PK_nodes</c>,
/// <c>IX_samples_node_id_ts</c>, <c>FK_user_claims_users_user_id</c>), built from the snake_case
/// table and column names. The snake_case naming convention would lower-case them
/// (<c>pk_nodes</c>), but databases created by 0.1.0 carry these names, and a later migration that
/// drops or renames a constraint must name the one that exists. Names set explicitly
/// (Identity's <c>UserNameIndex</c>, <c>EmailIndex</c>) are left alone.
/// </summary>
internal sealed class DefaultConstraintNamesConvention : IModelFinalizingConvention
{
    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        foreach (var entityType in modelBuilder.Metadata.GetEntityTypes())
        {
            foreach (var key in entityType.GetDeclaredKeys())
                if (key.GetNameConfigurationSource() == ConfigurationSource.Convention)
                    key.Builder.HasName(null);
            foreach (var index in entityType.GetDeclaredIndexes())
                if (index.GetDatabaseNameConfigurationSource() == ConfigurationSource.Convention)
                    index.Builder.HasDatabaseName(null);
            foreach (var foreignKey in entityType.GetDeclaredForeignKeys())
                if (foreignKey.GetConstraintNameConfigurationSource() == ConfigurationSource.Convention)
                    foreignKey.Builder.HasConstraintName(null);
        }
    }
}
