using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Forwarding;

/// <summary>
/// Fills in the documented defaults of fields a placement left out. The source-generated
/// deserializer of the published (trimmed) Node sets absent init-only properties to null or 0
/// instead of keeping their initializers, so a hand-written or older placements file would
/// otherwise read "mode": null or "udpIdleSeconds": 0.
/// </summary>
internal static class PlacementDefaults
{
    public static ForwardPlacement Apply(ForwardPlacement p) => p with
    {
        Mode = string.IsNullOrEmpty(p.Mode) ? ForwardModes.Userspace : p.Mode,
        Balance = string.IsNullOrEmpty(p.Balance) ? ForwardBalance.RoundRobin : p.Balance,
        UdpIdleSeconds = p.UdpIdleSeconds > 0 ? p.UdpIdleSeconds : ForwardLimits.DefaultUdpIdleSeconds,
        Targets = p.Targets ?? [],
        Listen = p.Listen is { Address: null or "" } listen ? listen with { Address = "0.0.0.0" } : p.Listen,
        HopIn = p.HopIn is { } hopIn && (string.IsNullOrEmpty(hopIn.Address) || string.IsNullOrEmpty(hopIn.Path))
            ? hopIn with { Address = string.IsNullOrEmpty(hopIn.Address) ? "0.0.0.0" : hopIn.Address, Path = string.IsNullOrEmpty(hopIn.Path) ? "/" : hopIn.Path }
            : p.HopIn,
        Next = p.Next is { Path: null or "" } next ? next with { Path = "/" } : p.Next,
        Quota = p.Quota is { } quota
            ? quota with
            {
                Action = string.IsNullOrEmpty(quota.Action) ? QuotaActions.Block : quota.Action,
                ResetDay = quota.ResetDay == 0 ? 1 : quota.ResetDay,
                ThrottleMbps = quota.ThrottleMbps > 0 ? quota.ThrottleMbps : 1,
            }
            : null,
    };
}
