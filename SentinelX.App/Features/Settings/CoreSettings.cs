using System.Collections.Frozen;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Install;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Layout;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Settings;

/// <summary>
/// Settings changed from the settings page: the public URL, metric retention and the default theme.
/// Read from memory (loaded at start, replaced on each save); every save is checked first, so a bad
/// value is refused with a message and the stored one stays.
/// </summary>
public sealed class CoreSettings(IDbContextFactory<SentinelDb> dbFactory, IOptionsMonitor<RetentionOptions> configuredRetention, TimeProvider time) : IDisposable
{
    internal const string PublicUrlKey = "core.public_url";
    internal const string RawHoursKey = "retention.raw_hours";
    internal const string MinuteDaysKey = "retention.minute_days";
    internal const string HourDaysKey = "retention.hour_days";
    internal const string DefaultThemeKey = "ui.default_theme";
    internal const string AuditRetentionDaysKey = "audit.retention_days";

    public const int DefaultAuditRetentionDays = 180;
    public const int MaxAuditRetentionDays = 3650;

    /// <summary>What one raw sample row takes on disk with its index, measured roughly on SQLite; for the size hint only.</summary>
    public const long ApproxRawRowBytes = 200;

    private readonly SemaphoreSlim _saving = new(1, 1);
    private FrozenDictionary<string, string> _values = FrozenDictionary<string, string>.Empty;

    /// <summary>Reads every stored setting into memory; the host calls it once the database is migrated.</summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Settings.AsNoTracking().ToListAsync(ct);
        Volatile.Write(ref _values, rows.ToFrozenDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal));
    }

    /// <summary>The URL servers reach this Core at, as saved on the settings page; null when not set.</summary>
    public string? PublicUrl => Get(PublicUrlKey) is { } stored && CheckPublicUrl(stored).Url is { } url ? url : null;

    /// <summary>Whether the retention in use was saved on the settings page (else it is the configuration's).</summary>
    public bool RetentionIsSaved => StoredRetention() is not null;

    /// <summary>The retention in use now: the settings page's values, else the <c>Retention</c> configuration.</summary>
    public RetentionOptions Retention => StoredRetention() ?? configuredRetention.CurrentValue;

    /// <summary>The theme of the sign-in pages and of browsers without a choice of their own: "", "light" or "dark".</summary>
    public string DefaultTheme => Get(DefaultThemeKey) is { } stored && Theme.IsValid(stored) ? stored : "";

    /// <summary>Saves the public URL, or clears it when <paramref name="url"/> is empty; null on success.</summary>
    public async Task<SettingProblem?> SetPublicUrlAsync(string? url, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            await SaveAsync(new Dictionary<string, string?> { [PublicUrlKey] = null }, ct);
            return null;
        }

        var (normalized, problem) = CheckPublicUrl(url);
        if (problem is not null) return problem;
        await SaveAsync(new Dictionary<string, string?> { [PublicUrlKey] = normalized }, ct);
        return null;
    }

    /// <summary>Saves all three retention periods together (they constrain each other); empty on success.</summary>
    public async Task<IReadOnlyList<SettingProblem>> SetRetentionAsync(int rawHours, int minuteDays, int hourDays, CancellationToken ct = default)
    {
        var problems = CheckRetention(rawHours, minuteDays, hourDays);
        if (problems.Count > 0) return problems;
        await SaveAsync(new Dictionary<string, string?>
        {
            [RawHoursKey] = rawHours.ToString(CultureInfo.InvariantCulture),
            [MinuteDaysKey] = minuteDays.ToString(CultureInfo.InvariantCulture),
            [HourDaysKey] = hourDays.ToString(CultureInfo.InvariantCulture),
        }, ct);
        return [];
    }

    /// <summary>How many days audit log entries are kept.</summary>
    public int AuditRetentionDays =>
        Get(AuditRetentionDaysKey) is { } stored && int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= MaxAuditRetentionDays
            ? days
            : DefaultAuditRetentionDays;

    /// <summary>Saves how long the audit log is kept (1 to 3650 days); null on success.</summary>
    public async Task<SettingProblem?> SetAuditRetentionDaysAsync(int days, CancellationToken ct = default)
    {
        if (days is < 1 or > MaxAuditRetentionDays) return new SettingProblem("Keep the audit log for 1 to {0} days.", MaxAuditRetentionDays);
        await SaveAsync(new Dictionary<string, string?> { [AuditRetentionDaysKey] = days.ToString(CultureInfo.InvariantCulture) }, ct);
        return null;
    }

    /// <summary>Saves the default theme: "" (the system's), "light" or "dark"; null on success.</summary>
    public async Task<SettingProblem?> SetDefaultThemeAsync(string? theme, CancellationToken ct = default)
    {
        if (!Theme.IsValid(theme)) return new SettingProblem("Choose the system theme, light or dark.");
        await SaveAsync(new Dictionary<string, string?> { [DefaultThemeKey] = theme }, ct);
        return null;
    }

    /// <summary>
    /// The URL as stored (scheme, host and port, no trailing slash), or the reason it is refused. Servers run
    /// it in a shell and connect to it, so a path, query, credentials or shell syntax are refused, not dropped.
    /// </summary>
    public static (string? Url, SettingProblem? Problem) CheckPublicUrl(string? url)
    {
        var text = url?.Trim() ?? "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            || !text.Contains("://", StringComparison.Ordinal))
            return (null, new SettingProblem("Enter an absolute URL starting with http:// or https://, e.g. https://monitor.example.com"));
        if (uri.UserInfo.Length > 0)
            return (null, new SettingProblem("The public URL must not contain a user name or password."));
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || text.EndsWith('?') || text.EndsWith('#'))
            return (null, new SettingProblem("The public URL must not have a path, query or fragment: only the scheme, host and port."));
        if (InstallCommand.NormalizeUrl(text) is not { } normalized)
            return (null, new SettingProblem("The public URL contains characters that cannot be used in an install command."));
        return (normalized, null);
    }

    /// <summary>Every reason the three periods cannot be used together; empty when they can.</summary>
    public static IReadOnlyList<SettingProblem> CheckRetention(int rawHours, int minuteDays, int hourDays)
    {
        var problems = new List<SettingProblem>();
        if (rawHours is < 1 or > RetentionOptions.MaxRawHours)
            problems.Add(new SettingProblem("Raw samples must be kept between 1 and {0} hours.", RetentionOptions.MaxRawHours));
        if (minuteDays is < 1 or > RetentionOptions.MaxMinuteDays)
            problems.Add(new SettingProblem("1-minute averages must be kept between 1 and {0} days.", RetentionOptions.MaxMinuteDays));
        if (hourDays is < 1 or > RetentionOptions.MaxHourDays)
            problems.Add(new SettingProblem("1-hour averages must be kept between 1 and {0} days.", RetentionOptions.MaxHourDays));
        // A coarser tier that ends before a finer one would leave a hole in long charts.
        if (minuteDays * 24L < rawHours)
            problems.Add(new SettingProblem("1-minute averages must be kept at least as long as raw samples."));
        if (hourDays < minuteDays)
            problems.Add(new SettingProblem("1-hour averages must be kept at least as long as 1-minute averages."));
        return problems;
    }

    /// <summary>Roughly how much disk raw samples take per Node at one sample a second.</summary>
    public static long RawBytesPerNode(int rawHours) => rawHours * 3600L * ApproxRawRowBytes;

    private string? Get(string key) => Volatile.Read(ref _values).GetValueOrDefault(key);

    private RetentionOptions? StoredRetention()
    {
        if (!int.TryParse(Get(RawHoursKey), NumberStyles.None, CultureInfo.InvariantCulture, out var raw)
            || !int.TryParse(Get(MinuteDaysKey), NumberStyles.None, CultureInfo.InvariantCulture, out var minute)
            || !int.TryParse(Get(HourDaysKey), NumberStyles.None, CultureInfo.InvariantCulture, out var hour)
            || CheckRetention(raw, minute, hour).Count > 0)
            return null;
        return new RetentionOptions { RawHours = raw, MinuteDays = minute, HourDays = hour };
    }

    /// <summary>Writes the changes in one transaction (a null value deletes the row), then swaps the cache.</summary>
    private async Task SaveAsync(IReadOnlyDictionary<string, string?> changes, CancellationToken ct)
    {
        await _saving.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var keys = changes.Keys.ToList();
                var rows = await db.Settings.Where(s => keys.Contains(s.Key)).ToDictionaryAsync(s => s.Key, StringComparer.Ordinal, ct);
                foreach (var (key, value) in changes)
                {
                    var row = rows.GetValueOrDefault(key);
                    if (value is null)
                    {
                        if (row is not null) db.Settings.Remove(row);
                    }
                    else if (row is null)
                    {
                        db.Settings.Add(new CoreSetting { Key = key, Value = value, UpdatedAt = now });
                    }
                    else
                    {
                        row.Value = value;
                        row.UpdatedAt = now;
                    }
                }

                await db.SaveChangesAsync(ct);
            }

            var values = new Dictionary<string, string>(Volatile.Read(ref _values), StringComparer.Ordinal);
            foreach (var (key, value) in changes)
            {
                if (value is null) values.Remove(key);
                else values[key] = value;
            }

            Volatile.Write(ref _values, values.ToFrozenDictionary(StringComparer.Ordinal));
        }
        finally
        {
            _saving.Release();
        }
    }

    public void Dispose() => _saving.Dispose();
}

/// <summary>Why a setting was refused: English text with placeholders, translated where it is shown.</summary>
public sealed record SettingProblem(string Text, params object[] Args);

/// <summary>The retention the jobs and chart queries use: read on every use, so a saved change applies without a restart.</summary>
internal sealed class CurrentRetention(CoreSettings settings) : IOptions<RetentionOptions>
{
    public RetentionOptions Value => settings.Retention;
}
