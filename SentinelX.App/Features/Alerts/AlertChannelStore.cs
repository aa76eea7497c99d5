using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using SentinelX.App.Features.Alerts.Channels;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Alerts;

/// <summary>A channel as the API shows it: its config with every secret replaced (see <see cref="ChannelSecrets.Redact"/>).</summary>
public sealed record AlertChannelView(string Id, string Name, string Type, string Language, bool Enabled, JsonObject Config, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The body of <c>POST/PUT /api/v1/alerts/channels</c>.</summary>
public sealed record AlertChannelInput(string? Name, string? Type, JsonElement Config, string? Language, bool? Enabled);

/// <summary>The outcome of a create or update: the channel, or errors per field; null for an unknown id.</summary>
public sealed record AlertChannelSaved(AlertChannelView? Channel, IDictionary<string, string[]> Errors);

/// <summary>
/// Notification channels: validated by <see cref="ChannelConfigParser"/>, stored encrypted by
/// <see cref="ChannelSecrets"/>, shown redacted, audited on every change and test.
/// </summary>
public sealed class AlertChannelStore(
    IDbContextFactory<SentinelDb> dbFactory, ChannelSecrets secrets, NotificationDispatcher dispatcher, AuditLog audit, TimeProvider time)
{
    public async Task<IReadOnlyList<AlertChannelView>> ListAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.AlertChannels.AsNoTracking().OrderBy(c => c.Name).ThenBy(c => c.Id).ToListAsync(ct);
        return [.. rows.Select(ToView)];
    }

    public async Task<AlertChannelView?> GetAsync(string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AlertChannels.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct) is { } row ? ToView(row) : null;
    }

    /// <summary>The stored rows of <paramref name="ids"/>, for the notifier.</summary>
    public async Task<List<AlertChannelRecord>> FindAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AlertChannels.AsNoTracking().Where(c => ids.Contains(c.Id)).ToListAsync(ct);
    }

    public ChannelConfig Unprotect(AlertChannelRecord row) => secrets.Unprotect(row.ProtectedConfig);

    public async Task<AlertChannelSaved> CreateAsync(AlertChannelInput input, AuditActor actor, CancellationToken ct)
    {
        var (name, language, config, errors) = Validate(input, null);
        if (config is null) return new AlertChannelSaved(null, errors);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new AlertChannelRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Name = name!,
            Type = config.Type,
            ProtectedConfig = secrets.Protect(config),
            Language = language,
            Enabled = input.Enabled ?? true,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.AlertChannels.Add(row);
            await db.SaveChangesAsync(ct);
        }

        await audit.RecordAsync(actor, AuditActions.AlertChannelCreate, null, row.Name, AuditResults.Ok, $"{row.Id}: {row.Type}", ct);
        return new AlertChannelSaved(ToView(row), errors);
    }

    public async Task<AlertChannelSaved?> UpdateAsync(string id, AlertChannelInput input, AuditActor actor, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertChannels.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (row is null) return null;
        var (name, language, config, errors) = Validate(input, secrets.Unprotect(row.ProtectedConfig));
        if (config is null) return new AlertChannelSaved(null, errors);
        row.Name = name!;
        row.Type = config.Type;
        row.ProtectedConfig = secrets.Protect(config);
        row.Language = language;
        row.Enabled = input.Enabled ?? row.Enabled;
        row.UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.AlertChannelUpdate, null, row.Name, AuditResults.Ok, $"{row.Id}: {row.Type}", ct);
        return new AlertChannelSaved(ToView(row), errors);
    }

    public async Task<bool> DeleteAsync(string id, AuditActor actor, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertChannels.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (row is null) return false;
        db.AlertChannels.Remove(row);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(actor, AuditActions.AlertChannelDelete, null, row.Name, AuditResults.Ok, id, ct);
        return true;
    }

    /// <summary>Sends a sample alert now (the <i>Send test</i> button); null for an unknown id.</summary>
    public async Task<DeliveryResult?> TestAsync(string id, AuditActor actor, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AlertChannels.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (row is null) return null;
        var result = await dispatcher.SendTestAsync(secrets.Unprotect(row.ProtectedConfig), row.Language, ct);
        await audit.RecordAsync(actor, AuditActions.AlertChannelTest, null, row.Name, result.Ok ? AuditResults.Ok : AuditResults.Failed, result.Error, ct);
        return result;
    }

    private static (string? Name, string Language, ChannelConfig? Config, IDictionary<string, string[]> Errors) Validate(AlertChannelInput input, ChannelConfig? current)
    {
        var parsed = ChannelConfigParser.Parse(input.Type ?? current?.Type, input.Config, current);
        var errors = new Dictionary<string, string[]>(parsed.Errors, StringComparer.Ordinal);
        var name = input.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100 || name.Any(char.IsControl))
            errors["name"] = ["name is required: at most 100 characters without control characters"];
        var language = input.Language ?? UiText.English;
        if (!UiText.IsSupported(language)) errors["language"] = ["language must be en or zh-CN"];
        return (name, language, errors.Count == 0 ? parsed.Config : null, errors);
    }

    private static AlertChannelView ToView(AlertChannelRecord row, ChannelConfig config) => new(
        row.Id, row.Name, row.Type, row.Language, row.Enabled, ChannelSecrets.Redact(config),
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));

    private AlertChannelView ToView(AlertChannelRecord row) => ToView(row, secrets.Unprotect(row.ProtectedConfig));
}
