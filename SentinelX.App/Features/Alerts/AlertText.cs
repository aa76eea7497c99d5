using System.Globalization;

namespace SentinelX.App.Features.Alerts;

/// <summary>
/// What made a rule fire (or resolve), as facts: the engine records them and each channel renders
/// them in its own language, so a Chinese channel never gets an English sentence.
/// </summary>
public sealed record AlertFacts(string Kind, double? Value, double? Threshold)
{
    /// <summary>metric: the metric name; traffic: the direction.</summary>
    public string? Metric { get; init; }

    public string? Op { get; init; }

    /// <summary>metric: held seconds or averaged minutes; offline: seconds.</summary>
    public int? Window { get; init; }

    public bool Averaged { get; init; }

    /// <summary>What the rule watches on the Node: the probe, forward or container name.</summary>
    public string? SubjectName { get; init; }

    /// <summary>Free text from the Node (an error, a container state), already cut short.</summary>
    public string? Detail { get; init; }
}

/// <summary>One-line descriptions of <see cref="AlertFacts"/> in English and Simplified Chinese.</summary>
public static class AlertText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Describe(AlertFacts f, string language)
    {
        var zh = language == "zh-CN";
        return f.Kind switch
        {
            MetricCondition.KindName => Metric(f, zh),
            OfflineCondition.KindName => zh ? $"离线 {Duration(f.Value ?? 0, zh)}" : $"offline for {Duration(f.Value ?? 0, zh)}",
            TrafficCondition.KindName => zh
                ? $"本月流量已用配额的 {N(f.Value)} %（阈值 {N(f.Threshold)} %，{Direction(f.Metric, zh)}）"
                : $"traffic this month at {N(f.Value)} % of the quota (threshold {N(f.Threshold)} %, {Direction(f.Metric, zh)})",
            ExpiryCondition.KindName => f.Value is < 0
                ? (zh ? $"已于 {N(-f.Value)} 天前到期" : $"expired {N(-f.Value)} days ago")
                : (zh ? $"{N(f.Value)} 天后到期（提前 {N(f.Threshold)} 天提醒）" : $"expires in {N(f.Value)} days (reminder at {N(f.Threshold)} days)"),
            ProbeCondition.KindName when f.Threshold is { } latency => zh
                ? $"探测 {f.SubjectName} 连续 {f.Window} 次慢于 {N(latency)} ms（{Detail(f, zh)}）"
                : $"probe {f.SubjectName} slower than {N(latency)} ms for {f.Window} checks ({Detail(f, zh)})",
            ProbeCondition.KindName => zh
                ? $"探测 {f.SubjectName} 连续失败 {f.Window} 次：{f.Detail}"
                : $"probe {f.SubjectName} failed {f.Window} checks in a row: {f.Detail}",
            CertificateCondition.KindName => zh
                ? $"探测 {f.SubjectName} 的证书 {N(f.Value)} 天后过期（提前 {N(f.Threshold)} 天提醒）"
                : $"certificate of probe {f.SubjectName} expires in {N(f.Value)} days (reminder at {N(f.Threshold)} days)",
            ForwardCondition.KindName => zh
                ? $"转发 {f.SubjectName} 状态为 {f.Detail}"
                : $"forward {f.SubjectName} is {f.Detail}",
            ContainerCondition.KindName => zh
                ? $"容器 {f.SubjectName} 未运行（{f.Detail}）"
                : $"container {f.SubjectName} is not running ({f.Detail})",
            _ => f.Kind,
        };
    }

    /// <summary>The same facts once the rule stopped firing.</summary>
    public static string DescribeResolved(AlertFacts f, string language, TimeSpan lasted)
    {
        var zh = language == "zh-CN";
        var now = f.Kind switch
        {
            MetricCondition.KindName => $"{Label(f.Metric, zh)} {N(f.Value)}{Unit(f.Metric)}",
            OfflineCondition.KindName => zh ? "已重新上线" : "back online",
            ForwardCondition.KindName or ContainerCondition.KindName => $"{f.SubjectName}: {f.Detail}",
            ProbeCondition.KindName => zh ? $"探测 {f.SubjectName} 已恢复" : $"probe {f.SubjectName} recovered",
            _ => zh ? "已恢复" : "recovered",
        };
        return zh ? $"已恢复：{now}，持续 {Duration(lasted.TotalSeconds, zh)}" : $"resolved: {now}, lasted {Duration(lasted.TotalSeconds, zh)}";
    }

    public static string Duration(double seconds, bool zh)
    {
        var s = (long)Math.Round(Math.Max(0, seconds));
        if (s < 120) return zh ? $"{s} 秒" : $"{s} s";
        if (s < 7200) return zh ? $"{s / 60} 分钟" : $"{s / 60} min";
        if (s < 172_800) return zh ? $"{s / 3600} 小时 {s % 3600 / 60} 分钟" : $"{s / 3600} h {s % 3600 / 60} min";
        return zh ? $"{s / 86_400} 天" : $"{s / 86_400} days";
    }

    private static string Metric(AlertFacts f, bool zh)
    {
        var label = Label(f.Metric, zh);
        var unit = Unit(f.Metric);
        var op = f.Op ?? ">";
        if (f.Averaged)
        {
            return zh
                ? $"{label} {f.Window} 分钟平均 {N(f.Value)}{unit} {op} {N(f.Threshold)}{unit}"
                : $"{label} averaged {N(f.Value)}{unit} over {f.Window} min {op} {N(f.Threshold)}{unit}";
        }

        var held = f.Window is > 0 ? (zh ? $"，持续 {Duration(f.Window.Value, zh)}" : $" for {Duration(f.Window.Value, zh)}") : "";
        return $"{label} {N(f.Value)}{unit} {op} {N(f.Threshold)}{unit}{held}";
    }

    private static string Detail(AlertFacts f, bool zh) =>
        f.Detail ?? (f.Value is { } v ? $"{N(v)} ms" : zh ? "失败" : "failed");

    private static string Direction(string? direction, bool zh) => direction switch
    {
        "in" => zh ? "入站" : "in",
        "out" => zh ? "出站" : "out",
        _ => zh ? "入站+出站" : "in + out",
    };

    private static string Label(string? metric, bool zh) => metric switch
    {
        "cpuPercent" => "CPU",
        "memPercent" => zh ? "内存" : "memory",
        "swapPercent" => zh ? "交换分区" : "swap",
        "diskPercent" => zh ? "磁盘" : "disk",
        "load1" => zh ? "1 分钟负载" : "load 1m",
        "load5" => zh ? "5 分钟负载" : "load 5m",
        "load15" => zh ? "15 分钟负载" : "load 15m",
        "netRxBps" => zh ? "下行速率" : "network in",
        "netTxBps" => zh ? "上行速率" : "network out",
        "tcpConnections" => zh ? "TCP 连接数" : "TCP connections",
        "processes" => zh ? "进程数" : "processes",
        "temperature" => zh ? "温度" : "temperature",
        { } m when m.StartsWith("temperature:", StringComparison.Ordinal) => (zh ? "温度 " : "temperature ") + m[12..],
        _ => metric ?? "",
    };

    private static string Unit(string? metric) => metric switch
    {
        "cpuPercent" or "memPercent" or "swapPercent" or "diskPercent" => " %",
        "netRxBps" or "netTxBps" => " B/s",
        { } m when m.StartsWith("temperature", StringComparison.Ordinal) => " °C",
        _ => "",
    };

    private static string N(double? value) => value is { } v
        ? (Math.Abs(v) >= 100 || v == Math.Floor(v) ? Math.Round(v).ToString("0", Invariant) : v.ToString("0.#", Invariant))
        : "?";
}
