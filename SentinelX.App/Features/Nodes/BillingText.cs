using System.Globalization;
using SentinelX.App.Features.Localization;

namespace SentinelX.App.Features.Nodes;

/// <summary>What a server costs and how long it is paid for, as the dashboard and the Node page say it.</summary>
public static class BillingText
{
    /// <summary>Fewer days left than this show in the warning colour.</summary>
    public const int WarnDays = 7;

    public static string Cycle(string cycle, UiText t) => cycle switch
    {
        "monthly" => t["monthly"],
        "quarterly" => t["quarterly"],
        "yearly" => t["yearly"],
        "one-time" => t["one time"],
        _ => cycle,
    };

    /// <summary>"12.50 USD"; without a currency just the figure.</summary>
    public static string Money(decimal amount, string currency) =>
        amount.ToString("#,0.00", CultureInfo.InvariantCulture) + (currency.Length > 0 ? " " + currency : "");

    /// <summary>"12.50 USD monthly", or null when no price is recorded.</summary>
    public static string? Price(NodeBilling billing, UiText t) =>
        billing.Price is { } price ? Money(price, billing.Currency) + (billing.Cycle.Length > 0 ? " " + Cycle(billing.Cycle, t) : "") : null;

    /// <summary>The expiry as a badge: its text, and its level ("" calm, "sx-warn" under <see cref="WarnDays"/> days, "sx-bad" once passed); null when it does not expire.</summary>
    public static (string Text, string Level)? Expiry(NodeBilling billing, DateTimeOffset now, UiText t)
    {
        if (billing.ExpiresAt is not { } at || billing.DaysLeft(now) is not { } days) return null;
        if (at <= now.ToUnixTimeMilliseconds()) return (t["Expired"], "sx-bad");
        return (t.Format("{0} d left", days), days < WarnDays ? "sx-warn" : "");
    }

    /// <summary>"2027-01-31" (UTC): the day the paid period ends.</summary>
    public static string Date(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
