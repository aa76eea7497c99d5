using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable
#pragma warning disable CA1861 // literal arrays, as generated migrations have them

namespace SentinelX.App.Features.Storage.Migrations
{
    /// <summary>The first schema: nodes, API tokens, raw samples, 1-minute and 1-hour rollups.</summary>
    /// <remarks>
    /// Written by hand (EF's design-time tools are unavailable): provider-neutral calls without
    /// store types, so SQLite and PostgreSQL each map the CLR types the way EnsureCreated would.
    /// SchemaTests compare the result with the model on both providers.
    /// </remarks>
    [DbContext(typeof(SentinelDb))]
    [Migration("20261122000000_Initial")]
    public sealed class Initial : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "nodes",
                columns: table => new
                {
                    id = table.Column<string>(nullable: false),
                    name = table.Column<string>(nullable: false),
                    machine_id = table.Column<string>(nullable: false),
                    secret_hash = table.Column<string>(nullable: false),
                    created_at = table.Column<long>(nullable: false),
                    last_seen_at = table.Column<long>(nullable: false),
                    revoked = table.Column<bool>(nullable: false),
                    agent_version = table.Column<string>(nullable: false),
                    os = table.Column<string>(nullable: false),
                    arch = table.Column<string>(nullable: false),
                    system_info_json = table.Column<string>(nullable: true),
                    remote_address = table.Column<string>(nullable: true),
                    last_seq = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_nodes", x => x.id));
            migrationBuilder.CreateIndex(name: "IX_nodes_machine_id", table: "nodes", column: "machine_id", unique: true);

            migrationBuilder.CreateTable(
                name: "api_tokens",
                columns: table => new
                {
                    id = table.Column<string>(nullable: false),
                    name = table.Column<string>(nullable: false),
                    role = table.Column<string>(nullable: false),
                    token_hash = table.Column<string>(nullable: false),
                    prefix = table.Column<string>(nullable: false),
                    created_at = table.Column<long>(nullable: false),
                    expires_at = table.Column<long?>(nullable: true),
                    last_used_at = table.Column<long?>(nullable: true),
                    revoked_at = table.Column<long?>(nullable: true)
                },
                constraints: table => table.PrimaryKey("PK_api_tokens", x => x.id));
            migrationBuilder.CreateIndex(name: "IX_api_tokens_token_hash", table: "api_tokens", column: "token_hash", unique: true);

            migrationBuilder.CreateTable(
                name: "samples",
                columns: table => new
                {
                    node_id = table.Column<string>(nullable: false),
                    seq = table.Column<long>(nullable: false),
                    ts = table.Column<long>(nullable: false),
                    cpu_percent = table.Column<double>(nullable: false),
                    load1 = table.Column<double>(nullable: false),
                    load5 = table.Column<double>(nullable: false),
                    load15 = table.Column<double>(nullable: false),
                    mem_used_bytes = table.Column<long>(nullable: false),
                    mem_total_bytes = table.Column<long>(nullable: false),
                    swap_used_bytes = table.Column<long>(nullable: false),
                    swap_total_bytes = table.Column<long>(nullable: false),
                    disk_used_bytes = table.Column<long>(nullable: false),
                    disk_total_bytes = table.Column<long>(nullable: false),
                    disk_read_bps = table.Column<double>(nullable: false),
                    disk_write_bps = table.Column<double>(nullable: false),
                    net_rx_bps = table.Column<double>(nullable: false),
                    net_tx_bps = table.Column<double>(nullable: false),
                    net_rx_total = table.Column<long>(nullable: false),
                    net_tx_total = table.Column<long>(nullable: false),
                    tcp_connections = table.Column<int>(nullable: false),
                    udp_connections = table.Column<int>(nullable: false),
                    processes = table.Column<int>(nullable: false),
                    uptime_seconds = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_samples", x => new { x.node_id, x.seq }));
            migrationBuilder.CreateIndex(name: "IX_samples_node_id_ts", table: "samples", columns: new[] { "node_id", "ts" });
            migrationBuilder.CreateIndex(name: "IX_samples_ts", table: "samples", column: "ts");

            migrationBuilder.CreateTable(
                name: "rollups_1m",
                columns: table => new
                {
                    node_id = table.Column<string>(nullable: false),
                    bucket = table.Column<long>(nullable: false),
                    sample_count = table.Column<int>(nullable: false),
                    cpu_percent_avg = table.Column<double>(nullable: false),
                    cpu_percent_max = table.Column<double>(nullable: false),
                    load1_avg = table.Column<double>(nullable: false),
                    load1_max = table.Column<double>(nullable: false),
                    load5_avg = table.Column<double>(nullable: false),
                    load5_max = table.Column<double>(nullable: false),
                    load15_avg = table.Column<double>(nullable: false),
                    load15_max = table.Column<double>(nullable: false),
                    mem_used_bytes_avg = table.Column<double>(nullable: false),
                    mem_used_bytes_max = table.Column<long>(nullable: false),
                    mem_total_bytes_last = table.Column<long>(nullable: false),
                    swap_used_bytes_avg = table.Column<double>(nullable: false),
                    swap_used_bytes_max = table.Column<long>(nullable: false),
                    swap_total_bytes_last = table.Column<long>(nullable: false),
                    disk_used_bytes_avg = table.Column<double>(nullable: false),
                    disk_used_bytes_max = table.Column<long>(nullable: false),
                    disk_total_bytes_last = table.Column<long>(nullable: false),
                    disk_read_bps_avg = table.Column<double>(nullable: false),
                    disk_read_bps_max = table.Column<double>(nullable: false),
                    disk_write_bps_avg = table.Column<double>(nullable: false),
                    disk_write_bps_max = table.Column<double>(nullable: false),
                    net_rx_bps_avg = table.Column<double>(nullable: false),
                    net_rx_bps_max = table.Column<double>(nullable: false),
                    net_tx_bps_avg = table.Column<double>(nullable: false),
                    net_tx_bps_max = table.Column<double>(nullable: false),
                    net_rx_total_last = table.Column<long>(nullable: false),
                    net_tx_total_last = table.Column<long>(nullable: false),
                    tcp_connections_avg = table.Column<double>(nullable: false),
                    tcp_connections_max = table.Column<int>(nullable: false),
                    udp_connections_avg = table.Column<double>(nullable: false),
                    udp_connections_max = table.Column<int>(nullable: false),
                    processes_avg = table.Column<double>(nullable: false),
                    processes_max = table.Column<int>(nullable: false),
                    uptime_seconds_last = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_rollups_1m", x => new { x.node_id, x.bucket }));
            migrationBuilder.CreateIndex(name: "IX_rollups_1m_bucket", table: "rollups_1m", column: "bucket");

            migrationBuilder.CreateTable(
                name: "rollups_1h",
                columns: table => new
                {
                    node_id = table.Column<string>(nullable: false),
                    bucket = table.Column<long>(nullable: false),
                    sample_count = table.Column<int>(nullable: false),
                    cpu_percent_avg = table.Column<double>(nullable: false),
                    cpu_percent_max = table.Column<double>(nullable: false),
                    load1_avg = table.Column<double>(nullable: false),
                    load1_max = table.Column<double>(nullable: false),
                    load5_avg = table.Column<double>(nullable: false),
                    load5_max = table.Column<double>(nullable: false),
                    load15_avg = table.Column<double>(nullable: false),
                    load15_max = table.Column<double>(nullable: false),
                    mem_used_bytes_avg = table.Column<double>(nullable: false),
                    mem_used_bytes_max = table.Column<long>(nullable: false),
                    mem_total_bytes_last = table.Column<long>(nullable: false),
                    swap_used_bytes_avg = table.Column<double>(nullable: false),
                    swap_used_bytes_max = table.Column<long>(nullable: false),
                    swap_total_bytes_last = table.Column<long>(nullable: false),
                    disk_used_bytes_avg = table.Column<double>(nullable: false),
                    disk_used_bytes_max = table.Column<long>(nullable: false),
                    disk_total_bytes_last = table.Column<long>(nullable: false),
                    disk_read_bps_avg = table.Column<double>(nullable: false),
                    disk_read_bps_max = table.Column<double>(nullable: false),
                    disk_write_bps_avg = table.Column<double>(nullable: false),
                    disk_write_bps_max = table.Column<double>(nullable: false),
                    net_rx_bps_avg = table.Column<double>(nullable: false),
                    net_rx_bps_max = table.Column<double>(nullable: false),
                    net_tx_bps_avg = table.Column<double>(nullable: false),
                    net_tx_bps_max = table.Column<double>(nullable: false),
                    net_rx_total_last = table.Column<long>(nullable: false),
                    net_tx_total_last = table.Column<long>(nullable: false),
                    tcp_connections_avg = table.Column<double>(nullable: false),
                    tcp_connections_max = table.Column<int>(nullable: false),
                    udp_connections_avg = table.Column<double>(nullable: false),
                    udp_connections_max = table.Column<int>(nullable: false),
                    processes_avg = table.Column<double>(nullable: false),
                    processes_max = table.Column<int>(nullable: false),
                    uptime_seconds_last = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_rollups_1h", x => new { x.node_id, x.bucket }));
            migrationBuilder.CreateIndex(name: "IX_rollups_1h_bucket", table: "rollups_1h", column: "bucket");

            migrationBuilder.CreateTable(
                name: "rollup_state",
                columns: table => new
                {
                    name = table.Column<string>(nullable: false),
                    watermark_ms = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_rollup_state", x => x.name));
            // Plain SQL, valid on both providers: InsertData would need a model or store types.
            migrationBuilder.Sql("INSERT INTO rollup_state (name, watermark_ms) VALUES ('1h', 0), ('1m', 0)");

            migrationBuilder.CreateTable(
                name: "rollup_dirty",
                columns: table => new
                {
                    node_id = table.Column<string>(nullable: false),
                    hour_ms = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_rollup_dirty", x => new { x.node_id, x.hour_ms }));
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in new[] { "rollup_dirty", "rollup_state", "rollups_1h", "rollups_1m", "samples", "api_tokens", "nodes" })
                migrationBuilder.DropTable(name: table);
        }
    }
}
