using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable
#pragma warning disable CA1861 // literal arrays, as generated migrations have them

namespace SentinelX.App.Features.Storage.Migrations
{
    /// <summary>Forwarding rules with their chains and totals, and their traffic per minute and per hour.</summary>
    /// <remarks>Written by hand like <see cref="Initial"/>; SchemaTests compare the result with the model.</remarks>
    [DbContext(typeof(SentinelDb))]
    [Migration("20261202000000_Forwards")]
    public sealed class Forwards : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "forward_rules",
                columns: table => new
                {
                    id = table.Column<string>(nullable: false),
                    name = table.Column<string>(nullable: false),
                    node_id = table.Column<string>(nullable: false),
                    protocol = table.Column<string>(nullable: false),
                    listen_address = table.Column<string>(nullable: false),
                    listen_port = table.Column<int>(nullable: false),
                    targets_json = table.Column<string>(nullable: false),
                    balance = table.Column<string>(nullable: false),
                    mode = table.Column<string>(nullable: false),
                    bandwidth_mbps = table.Column<double>(nullable: false),
                    max_connections = table.Column<int>(nullable: false),
                    proxy_protocol = table.Column<int>(nullable: false),
                    udp_idle_seconds = table.Column<int>(nullable: false),
                    chain_json = table.Column<string>(nullable: false),
                    quota_bytes = table.Column<long>(nullable: false),
                    quota_action = table.Column<string>(nullable: false),
                    quota_throttle_mbps = table.Column<double>(nullable: false),
                    reset_day = table.Column<int>(nullable: false),
                    created_at = table.Column<long>(nullable: false),
                    created_by = table.Column<string>(nullable: false),
                    updated_at = table.Column<long>(nullable: false),
                    updated_by = table.Column<string>(nullable: false),
                    bytes_in = table.Column<long>(nullable: false),
                    bytes_out = table.Column<long>(nullable: false),
                    connections_total = table.Column<long>(nullable: false),
                    reported_bytes_in = table.Column<long>(nullable: false),
                    reported_bytes_out = table.Column<long>(nullable: false),
                    reported_connections = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_forward_rules", x => x.id));
            migrationBuilder.CreateIndex(name: "IX_forward_rules_node_id", table: "forward_rules", column: "node_id");

            migrationBuilder.CreateTable(
                name: "forward_traffic_1m",
                columns: table => new
                {
                    rule_id = table.Column<string>(nullable: false),
                    bucket = table.Column<long>(nullable: false),
                    bytes_in = table.Column<long>(nullable: false),
                    bytes_out = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_forward_traffic_1m", x => new { x.rule_id, x.bucket }));
            migrationBuilder.CreateIndex(name: "IX_forward_traffic_1m_bucket", table: "forward_traffic_1m", column: "bucket");

            migrationBuilder.CreateTable(
                name: "forward_traffic_1h",
                columns: table => new
                {
                    rule_id = table.Column<string>(nullable: false),
                    bucket = table.Column<long>(nullable: false),
                    bytes_in = table.Column<long>(nullable: false),
                    bytes_out = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_forward_traffic_1h", x => new { x.rule_id, x.bucket }));
            migrationBuilder.CreateIndex(name: "IX_forward_traffic_1h_bucket", table: "forward_traffic_1h", column: "bucket");
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "forward_traffic_1h");
            migrationBuilder.DropTable(name: "forward_traffic_1m");
            migrationBuilder.DropTable(name: "forward_rules");
        }
    }
}
