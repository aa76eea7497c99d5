using Microsoft.Data.Sqlite;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Exec;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Settings;

namespace SentinelX.App.Features.Storage;

/// <summary>The Core's database: users, nodes, API tokens, settings, metric samples and their rollups.</summary>
public sealed class SentinelDb(DbContextOptions<SentinelDb> options) : IdentityUserContext<SentinelUser>(options)
{
    public DbSet<CoreSetting> Settings => Set<CoreSetting>();
    public DbSet<NodeRecord> Nodes => Set<NodeRecord>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<SampleRow> Samples => Set<SampleRow>();
    public DbSet<MinuteRollup> MinuteRollups => Set<MinuteRollup>();
    public DbSet<HourRollup> HourRollups => Set<HourRollup>();
    public DbSet<RollupWatermark> RollupWatermarks => Set<RollupWatermark>();
    public DbSet<DirtyHour> DirtyHours => Set<DirtyHour>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ExecRun> ExecRuns => Set<ExecRun>();
    public DbSet<ForwardRule> ForwardRules => Set<ForwardRule>();
    public DbSet<ForwardMinute> ForwardMinutes => Set<ForwardMinute>();
    public DbSet<ForwardHour> ForwardHours => Set<ForwardHour>();
    public DbSet<NodeJoinRequest> NodeJoinRequests => Set<NodeJoinRequest>();

    /// <summary>True when this context talks to PostgreSQL (raw SQL differs in a few places).</summary>
    public bool IsPostgres => Database.IsNpgsql();

    /// <summary>
    /// Options for opening the database without a host (e.g. <c>sentinelx token create</c>).
    /// Creates <paramref name="dataDir"/> when SQLite is used.
    /// </summary>
    public static DbContextOptions<SentinelDb> CreateOptions(DatabaseOptions options, string dataDir)
    {
        var builder = new DbContextOptionsBuilder<SentinelDb>();
        Configure(builder, options, dataDir);
        return builder.Options;
    }

    /// <summary>Applies the provider, connection and warnings chosen by <paramref name="options"/>.</summary>
    public static void Configure(DbContextOptionsBuilder builder, DatabaseOptions options, string dataDir)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new InvalidOperationException(string.Join(" ", errors));

        if (options.IsPostgres)
        {
            builder.UseNpgsql(options.ConnectionString);
        }
        else
        {
            builder.UseSqlite(SqliteConnectionString(options, dataDir));
            builder.AddInterceptors(SqlitePragmaInterceptor.Instance);
        }

        // Migrations are written by hand and there is no model snapshot (EF Design tools do not
        // restore here); SchemaTests prove the migrations build exactly the model's schema.
        // No model snapshot exists (migrations are hand-written; a test compares them with the model),
        // and no IEntityTypeConfiguration classes either: the model is built in OnModelCreating.
        builder.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning, CoreEventId.NoEntityTypeConfigurationsWarning));
    }

    /// <summary>The SQLite connection string: the configured one, or <c>{dataDir}/sentinelx.db</c>.</summary>
    public static string SqliteConnectionString(DatabaseOptions options, string dataDir)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
            return options.ConnectionString;
        Directory.CreateDirectory(dataDir);
        return new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(Path.GetFullPath(dataDir), "sentinelx.db"),
            Pooling = true,
        }.ToString();
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        var model = builder;
        model.Entity<SentinelUser>().ToTable("users");
        model.Entity<IdentityUserClaim<string>>().ToTable("user_claims");
        model.Entity<IdentityUserLogin<string>>().ToTable("user_logins");
        model.Entity<IdentityUserToken<string>>().ToTable("user_tokens");
        model.Entity<CoreSetting>(e =>
        {
            e.ToTable("settings");
            e.HasKey(x => x.Key);
        });
        model.Entity<NodeRecord>(e =>
        {
            e.ToTable("nodes");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.MachineId).IsUnique();
            // Defaults, because these columns were added to a table that already had rows.
            e.Property(x => x.Tags).HasDefaultValue("");
            e.Property(x => x.GroupName).HasDefaultValue("");
            e.Property(x => x.Region).HasDefaultValue("");
            e.Property(x => x.Notes).HasDefaultValue("");
            e.Property(x => x.TrafficResetDay).HasDefaultValue(1);
            e.Property(x => x.Capabilities).HasDefaultValue("");
        });
        model.Entity<ApiToken>(e =>
        {
            e.ToTable("api_tokens");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.TokenHash).IsUnique();
        });
        MetricModel.Configure(model);
        model.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit_log");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.At);
            e.HasIndex(x => new { x.NodeId, x.Id });
        });
        model.Entity<ExecRun>(e =>
        {
            e.ToTable("exec_runs");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.NodeId, x.StartedAt });
            e.HasIndex(x => x.BatchId);
        });
        model.Entity<ForwardRule>(e =>
        {
            e.ToTable("forward_rules");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.NodeId);
            e.Ignore(x => x.Targets);
            e.Ignore(x => x.Chain);
        });
        model.Entity<ForwardMinute>(e =>
        {
            e.ToTable("forward_traffic_1m");
            e.HasKey(x => new { x.RuleId, x.Bucket });
            e.HasIndex(x => x.Bucket);
        });
        model.Entity<ForwardHour>(e =>
        {
            e.ToTable("forward_traffic_1h");
            e.HasKey(x => new { x.RuleId, x.Bucket });
            e.HasIndex(x => x.Bucket);
        });

        model.Entity<NodeJoinRequest>(e =>
        {
            e.ToTable("node_join_requests");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.State, x.CreatedAt });
            e.HasIndex(x => x.MachineId);
        });

        // A feature that needs a table maps it here and adds a hand-written migration
        // (SchemaTests fail until the migration matches the model).

        SnakeCaseNames.Apply(model.Model);
    }
}
