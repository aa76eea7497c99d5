using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SentinelX.App.Features.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AlertsProbesStatusBilling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "auto_renew",
                table: "nodes",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "billing_currency",
                table: "nodes",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "billing_cycle",
                table: "nodes",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<decimal>(
                name: "billing_price",
                table: "nodes",
                type: "TEXT",
                precision: 18,
                scale: 4,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "expires_at",
                table: "nodes",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "traffic_quota_bytes",
                table: "nodes",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "alert_channels",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    protected_config = table.Column<string>(type: "TEXT", nullable: false),
                    language = table.Column<string>(type: "TEXT", nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_channels", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "alert_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    rule_id = table.Column<string>(type: "TEXT", nullable: false),
                    rule_name = table.Column<string>(type: "TEXT", nullable: false),
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    node_name = table.Column<string>(type: "TEXT", nullable: false),
                    severity = table.Column<string>(type: "TEXT", nullable: false),
                    subject = table.Column<string>(type: "TEXT", nullable: false),
                    state = table.Column<string>(type: "TEXT", nullable: false),
                    value = table.Column<double>(type: "REAL", nullable: true),
                    threshold = table.Column<double>(type: "REAL", nullable: true),
                    message = table.Column<string>(type: "TEXT", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resolved_at = table.Column<long>(type: "INTEGER", nullable: true),
                    resolved_value = table.Column<double>(type: "REAL", nullable: true),
                    last_notified_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "alert_rules",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    scope_json = table.Column<string>(type: "TEXT", nullable: false),
                    condition_json = table.Column<string>(type: "TEXT", nullable: false),
                    severity = table.Column<string>(type: "TEXT", nullable: false),
                    channels = table.Column<string>(type: "TEXT", nullable: false),
                    repeat_minutes = table.Column<int>(type: "INTEGER", nullable: false),
                    muted = table.Column<bool>(type: "INTEGER", nullable: false),
                    muted_until = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_rules", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "alert_silences",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    node_id = table.Column<string>(type: "TEXT", nullable: true),
                    rule_id = table.Column<string>(type: "TEXT", nullable: true),
                    starts_at = table.Column<long>(type: "INTEGER", nullable: false),
                    ends_at = table.Column<long>(type: "INTEGER", nullable: false),
                    reason = table.Column<string>(type: "TEXT", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_silences", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "probe_results",
                columns: table => new
                {
                    probe_id = table.Column<string>(type: "TEXT", nullable: false),
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    ok = table.Column<bool>(type: "INTEGER", nullable: false),
                    latency_ms = table.Column<double>(type: "REAL", nullable: true),
                    error = table.Column<string>(type: "TEXT", nullable: true),
                    certificate_expires_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_probe_results", x => new { x.probe_id, x.node_id, x.at });
                });

            migrationBuilder.CreateTable(
                name: "probe_results_1h",
                columns: table => new
                {
                    probe_id = table.Column<string>(type: "TEXT", nullable: false),
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    checks = table.Column<int>(type: "INTEGER", nullable: false),
                    failures = table.Column<int>(type: "INTEGER", nullable: false),
                    latency_avg = table.Column<double>(type: "REAL", nullable: true),
                    latency_min = table.Column<double>(type: "REAL", nullable: true),
                    latency_max = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_probe_results_1h", x => new { x.probe_id, x.node_id, x.bucket });
                });

            migrationBuilder.CreateTable(
                name: "probe_results_1m",
                columns: table => new
                {
                    probe_id = table.Column<string>(type: "TEXT", nullable: false),
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    checks = table.Column<int>(type: "INTEGER", nullable: false),
                    failures = table.Column<int>(type: "INTEGER", nullable: false),
                    latency_avg = table.Column<double>(type: "REAL", nullable: true),
                    latency_min = table.Column<double>(type: "REAL", nullable: true),
                    latency_max = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_probe_results_1m", x => new { x.probe_id, x.node_id, x.bucket });
                });

            migrationBuilder.CreateTable(
                name: "probes",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", nullable: false),
                    target = table.Column<string>(type: "TEXT", nullable: false),
                    interval_seconds = table.Column<int>(type: "INTEGER", nullable: false),
                    timeout_ms = table.Column<int>(type: "INTEGER", nullable: false),
                    keyword = table.Column<string>(type: "TEXT", nullable: true),
                    expect_status = table.Column<int>(type: "INTEGER", nullable: true),
                    dns_server = table.Column<string>(type: "TEXT", nullable: true),
                    record_type = table.Column<string>(type: "TEXT", nullable: true),
                    node_ids = table.Column<string>(type: "TEXT", nullable: false),
                    tags = table.Column<string>(type: "TEXT", nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_probes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "status_incidents",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    slug = table.Column<string>(type: "TEXT", nullable: false),
                    title = table.Column<string>(type: "TEXT", nullable: false),
                    body = table.Column<string>(type: "TEXT", nullable: false),
                    state = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    resolved_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_status_incidents", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "status_pages",
                columns: table => new
                {
                    slug = table.Column<string>(type: "TEXT", nullable: false),
                    title = table.Column<string>(type: "TEXT", nullable: false),
                    node_ids = table.Column<string>(type: "TEXT", nullable: false),
                    probe_ids = table.Column<string>(type: "TEXT", nullable: false),
                    @public = table.Column<bool>(name: "public", type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_status_pages", x => x.slug);
                });

            migrationBuilder.CreateTable(
                name: "alert_deliveries",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    event_id = table.Column<long>(type: "INTEGER", nullable: false),
                    channel_id = table.Column<string>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", nullable: false),
                    ok = table.Column<bool>(type: "INTEGER", nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_alert_deliveries", x => x.id);
                    table.ForeignKey(
                        name: "FK_alert_deliveries_alert_events_event_id",
                        column: x => x.event_id,
                        principalTable: "alert_events",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_alert_deliveries_event_id",
                table: "alert_deliveries",
                column: "event_id");

            migrationBuilder.CreateIndex(
                name: "IX_alert_events_node_id",
                table: "alert_events",
                column: "node_id");

            migrationBuilder.CreateIndex(
                name: "IX_alert_events_rule_id_node_id_state",
                table: "alert_events",
                columns: new[] { "rule_id", "node_id", "state" });

            migrationBuilder.CreateIndex(
                name: "IX_alert_events_started_at",
                table: "alert_events",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "IX_alert_silences_ends_at",
                table: "alert_silences",
                column: "ends_at");

            migrationBuilder.CreateIndex(
                name: "IX_probe_results_at",
                table: "probe_results",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "IX_probe_results_1h_bucket",
                table: "probe_results_1h",
                column: "bucket");

            migrationBuilder.CreateIndex(
                name: "IX_probe_results_1m_bucket",
                table: "probe_results_1m",
                column: "bucket");

            migrationBuilder.CreateIndex(
                name: "IX_status_incidents_slug_created_at",
                table: "status_incidents",
                columns: new[] { "slug", "created_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "alert_channels");

            migrationBuilder.DropTable(
                name: "alert_deliveries");

            migrationBuilder.DropTable(
                name: "alert_rules");

            migrationBuilder.DropTable(
                name: "alert_silences");

            migrationBuilder.DropTable(
                name: "probe_results");

            migrationBuilder.DropTable(
                name: "probe_results_1h");

            migrationBuilder.DropTable(
                name: "probe_results_1m");

            migrationBuilder.DropTable(
                name: "probes");

            migrationBuilder.DropTable(
                name: "status_incidents");

            migrationBuilder.DropTable(
                name: "status_pages");

            migrationBuilder.DropTable(
                name: "alert_events");

            migrationBuilder.DropColumn(
                name: "auto_renew",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "billing_currency",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "billing_cycle",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "billing_price",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "nodes");

            migrationBuilder.DropColumn(
                name: "traffic_quota_bytes",
                table: "nodes");
        }
    }
}
