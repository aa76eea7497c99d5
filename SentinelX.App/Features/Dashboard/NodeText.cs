using System.Globalization;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Layout;
using SentinelX.Shared.Metrics;
using SentinelX.App.Ui;

namespace SentinelX.App.Features.Dashboard;

/// <summary>The short texts cards and rows share.</summary>
internal static class NodeText
{
    public static string Cpu(MetricSample m) => m.CpuPercent.ToString("0.0", CultureInfo.InvariantCulture) + " %";

    public static string UsedOf(long used, long total) => Units.Bytes(used) + " / " + Units.Bytes(total);

    public static string Load(MetricSample m) => string.Create(CultureInfo.InvariantCulture, $"{m.Load1:0.00} {m.Load5:0.00} {m.Load15:0.00}");

    /// <summary>"Debian 12 · amd64": the distribution's short name and the architecture.</summary>
    public static string Platform(NodeState node)
    {
        var os = node.System?.Os is { Length: > 0 } full ? full : node.Os;
        var cut = os.IndexOf(" (", StringComparison.Ordinal);
        if (cut > 0) os = os[..cut];
        os = os.Replace("GNU/Linux ", "", StringComparison.Ordinal);
        var arch = node.System?.Arch is { Length: > 0 } a ? a : node.Arch;
        return os.Length == 0 ? arch : arch.Length == 0 ? os : os + " · " + arch;
    }

    public static string LastSeen(NodeState node, BrowserClock clock, UiText t) =>
        node.LastSeenAt > 0 ? t.Format("last seen {0}", clock.Format(node.LastSeenAt, "yyyy-MM-dd HH:mm")) : t["never seen"];
}
