using Microsoft.Extensions.Options;

namespace SentinelX.App.Features.Storage;

/// <summary>The "Database" configuration section: which engine holds the Core's data.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary><c>sqlite</c> (default, <c>{dataDir}/sentinelx.db</c>) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>Required for <c>postgres</c>; for <c>sqlite</c> it overrides the default file location.</summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    /// <summary>Every problem with these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase) && !IsPostgres)
            errors.Add($"Database:Provider must be '{Sqlite}' or '{Postgres}', not '{Provider}'.");
        if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
            errors.Add("Database:ConnectionString is required when Database:Provider is 'postgres'.");
        return errors;
    }
}

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
