using System.Globalization;
using System.Text;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Metrics;

namespace SentinelX.App.Features.Prometheus;

/// <summary>
/// <c>GET /metrics</c>: every Node's latest sample in the Prometheus text exposition format
/// (version 0.0.4), labelled <c>node</c> and <c>node_id</c>. Behind a viewer token unless
/// <c>Metrics:Public=true</c>.
/// </summary>
public static class PrometheusEndpoint
{
    private sealed record Gauge(string Name, string Help, string Type, Func<MetricSample, double> Value);

    private static readonly Gauge[] Gauges =
    [
        new("sentinelx_node_cpu_percent", "CPU busy percent over all cores.", "gauge", m => m.CpuPercent),
        new("sentinelx_node_load1", "1-minute load average.", "gauge", m => m.Load1),
        new("sentinelx_node_load5", "5-minute load average.", "gauge", m => m.Load5),
        new("sentinelx_node_load15", "15-minute load average.", "gauge", m => m.Load15),
        new("sentinelx_node_memory_used_bytes", "Memory in use (total minus available).", "gauge", m => m.MemUsedBytes),
        new("sentinelx_node_memory_total_bytes", "Memory installed.", "gauge", m => m.MemTotalBytes),
        new("sentinelx_node_swap_used_bytes", "Swap in use.", "gauge", m => m.SwapUsedBytes),
        new("sentinelx_node_swap_total_bytes", "Swap configured.", "gauge", m => m.SwapTotalBytes),
        new("sentinelx_node_disk_used_bytes", "Disk space used over real file systems.", "gauge", m => m.DiskUsedBytes),
        new("sentinelx_node_disk_total_bytes", "Disk space over real file systems.", "gauge", m => m.DiskTotalBytes),
        new("sentinelx_node_disk_read_bytes_per_second", "Disk read rate.", "gauge", m => m.DiskReadBps),
        new("sentinelx_node_disk_write_bytes_per_second", "Disk write rate.", "gauge", m => m.DiskWriteBps),
        new("sentinelx_node_network_receive_bytes_per_second", "Network receive rate, loopback excluded.", "gauge", m => m.NetRxBps),
        new("sentinelx_node_network_transmit_bytes_per_second", "Network transmit rate, loopback excluded.", "gauge", m => m.NetTxBps),
        new("sentinelx_node_network_receive_bytes_total", "Bytes received since boot, loopback excluded.", "counter", m => m.NetRxTotal),
        new("sentinelx_node_network_transmit_bytes_total", "Bytes sent since boot, loopback excluded.", "counter", m => m.NetTxTotal),
        new("sentinelx_node_tcp_connections", "TCP sockets in use.", "gauge", m => m.TcpConnections),
        new("sentinelx_node_udp_connections", "UDP sockets in use.", "gauge", m => m.UdpConnections),
        new("sentinelx_node_processes", "Processes.", "gauge", m => m.Processes),
        new("sentinelx_node_uptime_seconds", "Seconds since boot.", "gauge", m => m.UptimeSeconds),
    ];

    public static IEndpointRouteBuilder MapPrometheus(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        var endpoint = app.MapGet("/metrics", (NodeRegistry registry) => Results.Text(Render(registry), "text/plain; version=0.0.4; charset=utf-8"))
            .WithTags("Prometheus");
        if (configuration.GetValue<bool>("Metrics:Public")) endpoint.AllowAnonymous();
        else endpoint.RequireAuthorization(Policies.Viewer);
        return app;
    }

    internal static string Render(NodeRegistry registry)
    {
        var nodes = registry.All.OrderBy(n => n.Id, StringComparer.Ordinal).ToList();
        var text = new StringBuilder(256 + nodes.Count * 2048);
        text.Append("# HELP sentinelx_node_up Whether the node is connected to the Core (1) or not (0).\n# TYPE sentinelx_node_up gauge\n");
        foreach (var node in nodes) AppendLine(text, "sentinelx_node_up", node, node.Online ? 1 : 0);

        foreach (var gauge in Gauges)
        {
            text.Append("# HELP ").Append(gauge.Name).Append(' ').Append(gauge.Help).Append('\n');
            text.Append("# TYPE ").Append(gauge.Name).Append(' ').Append(gauge.Type).Append('\n');
            foreach (var node in nodes)
            {
                if (node.Latest is { } latest) AppendLine(text, gauge.Name, node, gauge.Value(latest));
            }
        }

        return text.ToString();
    }

    private static void AppendLine(StringBuilder text, string name, NodeState node, double value)
    {
        text.Append(name).Append("{node=\"");
        AppendEscaped(text, node.Name);
        text.Append("\",node_id=\"");
        AppendEscaped(text, node.Id);
        text.Append("\"} ").Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Label values escape backslash, double quote and newline, as the exposition format requires.</summary>
    private static void AppendEscaped(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append(@"\n"); break;
                default: text.Append(c); break;
            }
        }
    }
}
