using System.Globalization;

namespace SentinelX.App.Features.Nodes;

/// <summary>What a server costs and when its paid period ends, as an admin recorded it.</summary>
public sealed record NodeBilling(decimal? Price, string Currency, string Cycle, long? ExpiresAt, bool AutoRenew)
{
    public static readonly NodeBilling None = new(null, "", "", null, false);

    public static readonly IReadOnlyList<string> Cycles = ["monthly", "quarterly", "yearly", "one-time"];

    public static NodeBilling From(NodeRecord r) => new(r.BillingPrice, r.BillingCurrency, r.BillingCycle, r.ExpiresAt, r.AutoRenew);

    /// <summary>The price spread over a month (a yearly price / 12); null for one-time or unpriced servers.</summary>
    public decimal? MonthlyCost => Price is not { } price ? null : Cycle switch
    {
        "monthly" => price,
        "quarterly" => Math.Round(price / 3, 2),
        "yearly" => Math.Round(price / 12, 2),
        _ => null,
    };

    /// <summary>Whole days until <see cref="ExpiresAt"/> (negative once passed), rounded up; null when it does not expire.</summary>
    public int? DaysLeft(DateTimeOffset now) =>
        ExpiresAt is { } at ? (int)Math.Ceiling((at - now.ToUnixTimeMilliseconds()) / 86_400_000.0) : null;
}

/// <summary>
/// The <c>billing</c> object of <c>PATCH /api/v1/nodes/{id}</c>. When present it replaces the whole
/// record (<c>{}</c> clears it); <c>expiresAt</c> is ISO 8601 (a date alone means 00:00 UTC).
/// </summary>
public sealed record BillingChanges
{
    public decimal? Price { get; init; }
    public string? Currency { get; init; }
    public string? Cycle { get; init; }
    public string? ExpiresAt { get; init; }
    public bool? AutoRenew { get; init; }

    public void Validate(Dictionary<string, string[]> errors)
    {
        if (Price is < 0 or > 1_000_000_000) errors["billing.price"] = ["price must be from 0 to 1000000000"];
        if (Currency is { Length: > 0 } c && (c.Length != 3 || !c.All(char.IsAsciiLetter)))
            errors["billing.currency"] = ["currency must be a three-letter ISO 4217 code such as USD, EUR or CNY"];
        if (Cycle is { Length: > 0 } cycle && !NodeBilling.Cycles.Contains(cycle))
            errors["billing.cycle"] = ["cycle must be monthly, quarterly, yearly or one-time"];
        if (Price is not null && string.IsNullOrEmpty(Cycle)) errors["billing.cycle"] = ["give the billing cycle with the price"];
        if (ExpiresAt is { Length: > 0 } && ParseExpiry(ExpiresAt) is null)
            errors["billing.expiresAt"] = ["expiresAt must be an ISO 8601 date or time between 2000 and 2200"];
    }

    public NodeBilling ToBilling() => new(Price, Currency?.ToUpperInvariant() ?? "", Cycle ?? "",
        string.IsNullOrEmpty(ExpiresAt) ? null : ParseExpiry(ExpiresAt)?.ToUnixTimeMilliseconds(), AutoRenew ?? false);

    private static DateTimeOffset? ParseExpiry(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
        && at.Year is >= 2000 and <= 2200 ? at : null;
}
