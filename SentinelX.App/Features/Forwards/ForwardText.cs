using SentinelX.App.Features.Localization;
using SentinelX.Shared.Protocol;
using SentinelX.App.Ui;

namespace SentinelX.App.Features.Forwards;

/// <summary>How the forwarding pages word a rule's settings and figures.</summary>
public static class ForwardText
{
    /// <summary>"0.0.0.0:10080", "[::]:10080".</summary>
    public static string Listen(ForwardView rule) => Endpoint(rule.ListenAddress, rule.ListenPort);

    public static string Endpoint(string address, int port) =>
        address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:{port}" : $"{address}:{port}";

    /// <summary>"12.5 GiB of 100 GiB" and what happens at the limit.</summary>
    public static string QuotaText(ForwardView rule, UiText t) =>
        rule.QuotaAction == QuotaActions.Throttle
            ? t.Format("{0} of {1}, then {2} Mbit/s", Units.Bytes(rule.QuotaUsedBytes), Units.Bytes(rule.QuotaBytes), rule.QuotaThrottleMbps)
            : t.Format("{0} of {1}, then blocked", Units.Bytes(rule.QuotaUsedBytes), Units.Bytes(rule.QuotaBytes));

    /// <summary>"Entry", "Relay", "Exit" for a placement's role.</summary>
    public static string Role(string role, UiText t) => role switch
    {
        "entry" => t["Entry"],
        "relay" => t["Relay"],
        "exit" => t["Exit"],
        _ => role,
    };

    public static string Balance(string balance, UiText t) => balance switch
    {
        ForwardBalance.Failover => t["Failover"],
        _ => t["Round robin"],
    };

    public static string Mode(string mode, UiText t) => mode switch
    {
        ForwardModes.Kernel => t["Kernel (nftables DNAT)"],
        _ => t["Userspace"],
    };

    public static string ProxyProtocol(int version, UiText t) => version switch
    {
        1 => t["PROXY protocol v1"],
        2 => t["PROXY protocol v2"],
        _ => t["None"],
    };

    public static string Bandwidth(double mbps, UiText t) =>
        mbps > 0 ? t.Format("{0} Mbit/s", mbps) : t["Unlimited"];

    public static string Connections(int max, UiText t) =>
        max > 0 ? max.ToString(System.Globalization.CultureInfo.CurrentCulture) : t["Unlimited"];
}
