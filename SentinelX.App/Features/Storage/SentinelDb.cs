using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Alerts;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Exec;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Probes;
using SentinelX.App.Features.Settings;
using SentinelX.App.Features.StatusPages;

namespace SentinelX.App.Features.Storage;

/// <summary>The Core's database: users, nodes, API tokens, settings, metric samples and their rollups.</summary>
/// <remarks>
/// Each provider has its own subclass (<see cref="SqliteSentinelDb"/>, <see cref="PostgresSentinelDb"/>)
/// with its own generated migrations and model snapshot; <see cref="Create"/> picks the one that
/// matches the options. Entity mappings live next to their feature as
/// <see cref="IEntityTypeConfiguration{TEntity}"/> classes.
/// </remarks>
public abstract class SentinelDb : IdentityUserContext<SentinelUser>
{
    private protected SentinelDb(DbContextOptions<SentinelDb> options) : base(options)
    {
    }

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
    public DbSet<NodeTombstone> NodeTombstones => Set<NodeTombstone>();
    public DbSet<AlertRuleRecord> AlertRules => Set<AlertRuleRecord>();
    public DbSet<AlertEventRecord> AlertEvents => Set<AlertEventRecord>();
    public DbSet<AlertDeliveryRecord> AlertDeliveries => Set<AlertDeliveryRecord>();
    public DbSet<AlertChannelRecord> AlertChannels => Set<AlertChannelRecord>();
    public DbSet<AlertSilenceRecord> AlertSilences => Set<AlertSilenceRecord>();
    public DbSet<ProbeRecord> Probes => Set<ProbeRecord>();
    public DbSet<ProbeResultRow> ProbeResults => Set<ProbeResultRow>();
    public DbSet<ProbeMinute> ProbeMinutes => Set<ProbeMinute>();
    public DbSet<ProbeHour> ProbeHours => Set<ProbeHour>();
    public DbSet<StatusPageRecord> StatusPages => Set<StatusPageRecord>();
    public DbSet<StatusIncidentRecord> StatusIncidents => Set<StatusIncidentRecord>();

    /// <summary>True when this context talks to PostgreSQL (raw SQL differs in a few places).</summary>
    public bool IsPostgres => Database.IsNpgsql();

    /// <summary>A context of the subclass for the provider <paramref name="options"/> were built for.</summary>
    public static SentinelDb Create(DbContextOptions<SentinelDb> options) =>
        UsesPostgres(options) ? new PostgresSentinelDb(options) : new SqliteSentinelDb(options);

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

    /// <summary>Applies the provider, connection and naming convention chosen by <paramref name="options"/>.</summary>
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

        // Tables are named explicitly in the mappings; columns follow the property names.
        builder.UseSnakeCaseNamingConvention(System.Globalization.CultureInfo.InvariantCulture);
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
        builder.ApplyConfigurationsFromAssembly(typeof(SentinelDb).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        base.ConfigureConventions(configurationBuilder);
        configurationBuilder.Conventions.Add(_ => new DefaultConstraintNamesConvention());
    }

    // The provider's own options extension is internal API; its assembly tells the providers apart.
    private static bool UsesPostgres(DbContextOptions options) =>
        options.Extensions.Any(e => e.Info.IsDatabaseProvider
                                    && e.GetType().Assembly == typeof(NpgsqlDbContextOptionsBuilderExtensions).Assembly);
}
