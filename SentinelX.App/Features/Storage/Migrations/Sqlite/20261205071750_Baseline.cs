using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace SentinelX.App.Features.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Baseline : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "api_tokens",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    role = table.Column<string>(type: "TEXT", nullable: false),
                    token_hash = table.Column<string>(type: "TEXT", nullable: false),
                    prefix = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_used_at = table.Column<long>(type: "INTEGER", nullable: true),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_tokens", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "audit_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    actor = table.Column<string>(type: "TEXT", nullable: false),
                    actor_kind = table.Column<string>(type: "TEXT", nullable: false),
                    address = table.Column<string>(type: "TEXT", nullable: true),
                    node_id = table.Column<string>(type: "TEXT", nullable: true),
                    action = table.Column<string>(type: "TEXT", nullable: false),
                    target = table.Column<string>(type: "TEXT", nullable: false),
                    result = table.Column<string>(type: "TEXT", nullable: false),
                    detail = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_audit_log", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "exec_runs",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    batch_id = table.Column<string>(type: "TEXT", nullable: true),
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    command = table.Column<string>(type: "TEXT", nullable: false),
                    run_as = table.Column<string>(type: "TEXT", nullable: false),
                    working_directory = table.Column<string>(type: "TEXT", nullable: false),
                    timeout_seconds = table.Column<int>(type: "INTEGER", nullable: false),
                    requested_by = table.Column<string>(type: "TEXT", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    status = table.Column<string>(type: "TEXT", nullable: false),
                    exit_code = table.Column<int>(type: "INTEGER", nullable: true),
                    duration_ms = table.Column<long>(type: "INTEGER", nullable: false),
                    stdout = table.Column<string>(type: "TEXT", nullable: false),
                    stderr = table.Column<string>(type: "TEXT", nullable: false),
                    truncated = table.Column<bool>(type: "INTEGER", nullable: false),
                    error = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_exec_runs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "forward_rules",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    protocol = table.Column<string>(type: "TEXT", nullable: false),
                    listen_address = table.Column<string>(type: "TEXT", nullable: false),
                    listen_port = table.Column<int>(type: "INTEGER", nullable: false),
                    targets_json = table.Column<string>(type: "TEXT", nullable: false),
                    balance = table.Column<string>(type: "TEXT", nullable: false),
                    mode = table.Column<string>(type: "TEXT", nullable: false),
                    bandwidth_mbps = table.Column<double>(type: "REAL", nullable: false),
                    max_connections = table.Column<int>(type: "INTEGER", nullable: false),
                    proxy_protocol = table.Column<int>(type: "INTEGER", nullable: false),
                    udp_idle_seconds = table.Column<int>(type: "INTEGER", nullable: false),
                    chain_json = table.Column<string>(type: "TEXT", nullable: false),
                    quota_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    quota_action = table.Column<string>(type: "TEXT", nullable: false),
                    quota_throttle_mbps = table.Column<double>(type: "REAL", nullable: false),
                    reset_day = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_by = table.Column<string>(type: "TEXT", nullable: false),
                    bytes_in = table.Column<long>(type: "INTEGER", nullable: false),
                    bytes_out = table.Column<long>(type: "INTEGER", nullable: false),
                    connections_total = table.Column<long>(type: "INTEGER", nullable: false),
                    reported_bytes_in = table.Column<long>(type: "INTEGER", nullable: false),
                    reported_bytes_out = table.Column<long>(type: "INTEGER", nullable: false),
                    reported_connections = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_forward_rules", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "forward_traffic_1h",
                columns: table => new
                {
                    rule_id = table.Column<string>(type: "TEXT", nullable: false),
                    bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    bytes_in = table.Column<long>(type: "INTEGER", nullable: false),
                    bytes_out = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_forward_traffic_1h", x => new { x.rule_id, x.bucket });
                });

            migrationBuilder.CreateTable(
                name: "forward_traffic_1m",
                columns: table => new
                {
                    rule_id = table.Column<string>(type: "TEXT", nullable: false),
                    bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    bytes_in = table.Column<long>(type: "INTEGER", nullable: false),
                    bytes_out = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_forward_traffic_1m", x => new { x.rule_id, x.bucket });
                });

            migrationBuilder.CreateTable(
                name: "node_join_requests",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    machine_id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    hostname = table.Column<string>(type: "TEXT", nullable: false),
                    remote_address = table.Column<string>(type: "TEXT", nullable: true),
                    agent_version = table.Column<string>(type: "TEXT", nullable: false),
                    ticket_hash = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    state = table.Column<string>(type: "TEXT", nullable: false),
                    decided_at = table.Column<long>(type: "INTEGER", nullable: true),
                    decided_by = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_node_join_requests", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "nodes",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    machine_id = table.Column<string>(type: "TEXT", nullable: false),
                    secret_hash = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_seen_at = table.Column<long>(type: "INTEGER", nullable: false),
                    revoked = table.Column<bool>(type: "INTEGER", nullable: false),
                    agent_version = table.Column<string>(type: "TEXT", nullable: false),
                    os = table.Column<string>(type: "TEXT", nullable: false),
                    arch = table.Column<string>(type: "TEXT", nullable: false),
                    system_info_json = table.Column<string>(type: "TEXT", nullable: true),
                    remote_address = table.Column<string>(type: "TEXT", nullable: true),
                    last_seq = table.Column<long>(type: "INTEGER", nullable: false),
                    tags = table.Column<string>(type: "TEXT", nullable: false, defaultValue: ""),
                    group_name = table.Column<string>(type: "TEXT", nullable: false, defaultValue: ""),
                    region = table.Column<string>(type: "TEXT", nullable: false, defaultValue: ""),
                    notes = table.Column<string>(type: "TEXT", nullable: false, defaultValue: ""),
                    traffic_reset_day = table.Column<int>(type: "INTEGER", nullable: false, defaultValue: 1),
                    capabilities = table.Column<string>(type: "TEXT", nullable: false, defaultValue: "")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_nodes", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rollup_dirty",
                columns: table => new
                {
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    hour_ms = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rollup_dirty", x => new { x.node_id, x.hour_ms });
                });

            migrationBuilder.CreateTable(
                name: "rollup_state",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    watermark_ms = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rollup_state", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "rollups_1h",
                columns: table => new
                {
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    sample_count = table.Column<int>(type: "INTEGER", nullable: false),
                    cpu_percent_avg = table.Column<double>(type: "REAL", nullable: false),
                    cpu_percent_max = table.Column<double>(type: "REAL", nullable: false),
                    load1_avg = table.Column<double>(type: "REAL", nullable: false),
                    load1_max = table.Column<double>(type: "REAL", nullable: false),
                    load5_avg = table.Column<double>(type: "REAL", nullable: false),
                    load5_max = table.Column<double>(type: "REAL", nullable: false),
                    load15_avg = table.Column<double>(type: "REAL", nullable: false),
                    load15_max = table.Column<double>(type: "REAL", nullable: false),
                    mem_used_bytes_avg = table.Column<double>(type: "REAL", nullable: false),
                    mem_used_bytes_max = table.Column<long>(type: "INTEGER", nullable: false),
                    mem_total_bytes_last = table.Column<long>(type: "INTEGER", nullable: false),
                    swap_used_bytes_avg = table.Column<double>(type: "REAL", nullable: false),
                    swap_used_bytes_max = table.Column<long>(type: "INTEGER", nullable: false),
                    swap_total_bytes_last = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_used_bytes_avg = table.Column<double>(type: "REAL", nullable: false),
                    disk_used_bytes_max = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_total_bytes_last = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_read_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    disk_read_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    disk_write_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    disk_write_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    net_tx_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    net_tx_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_total_last = table.Column<long>(type: "INTEGER", nullable: false),
                    net_tx_total_last = table.Column<long>(type: "INTEGER", nullable: false),
                    tcp_connections_avg = table.Column<double>(type: "REAL", nullable: false),
                    tcp_connections_max = table.Column<int>(type: "INTEGER", nullable: false),
                    udp_connections_avg = table.Column<double>(type: "REAL", nullable: false),
                    udp_connections_max = table.Column<int>(type: "INTEGER", nullable: false),
                    processes_avg = table.Column<double>(type: "REAL", nullable: false),
                    processes_max = table.Column<int>(type: "INTEGER", nullable: false),
                    uptime_seconds_last = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rollups_1h", x => new { x.node_id, x.bucket });
                });

            migrationBuilder.CreateTable(
                name: "rollups_1m",
                columns: table => new
                {
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    sample_count = table.Column<int>(type: "INTEGER", nullable: false),
                    cpu_percent_avg = table.Column<double>(type: "REAL", nullable: false),
                    cpu_percent_max = table.Column<double>(type: "REAL", nullable: false),
                    load1_avg = table.Column<double>(type: "REAL", nullable: false),
                    load1_max = table.Column<double>(type: "REAL", nullable: false),
                    load5_avg = table.Column<double>(type: "REAL", nullable: false),
                    load5_max = table.Column<double>(type: "REAL", nullable: false),
                    load15_avg = table.Column<double>(type: "REAL", nullable: false),
                    load15_max = table.Column<double>(type: "REAL", nullable: false),
                    mem_used_bytes_avg = table.Column<double>(type: "REAL", nullable: false),
                    mem_used_bytes_max = table.Column<long>(type: "INTEGER", nullable: false),
                    mem_total_bytes_last = table.Column<long>(type: "INTEGER", nullable: false),
                    swap_used_bytes_avg = table.Column<double>(type: "REAL", nullable: false),
                    swap_used_bytes_max = table.Column<long>(type: "INTEGER", nullable: false),
                    swap_total_bytes_last = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_used_bytes_avg = table.Column<double>(type: "REAL", nullable: false),
                    disk_used_bytes_max = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_total_bytes_last = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_read_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    disk_read_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    disk_write_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    disk_write_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    net_tx_bps_avg = table.Column<double>(type: "REAL", nullable: false),
                    net_tx_bps_max = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_total_last = table.Column<long>(type: "INTEGER", nullable: false),
                    net_tx_total_last = table.Column<long>(type: "INTEGER", nullable: false),
                    tcp_connections_avg = table.Column<double>(type: "REAL", nullable: false),
                    tcp_connections_max = table.Column<int>(type: "INTEGER", nullable: false),
                    udp_connections_avg = table.Column<double>(type: "REAL", nullable: false),
                    udp_connections_max = table.Column<int>(type: "INTEGER", nullable: false),
                    processes_avg = table.Column<double>(type: "REAL", nullable: false),
                    processes_max = table.Column<int>(type: "INTEGER", nullable: false),
                    uptime_seconds_last = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rollups_1m", x => new { x.node_id, x.bucket });
                });

            migrationBuilder.CreateTable(
                name: "samples",
                columns: table => new
                {
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    seq = table.Column<long>(type: "INTEGER", nullable: false),
                    ts = table.Column<long>(type: "INTEGER", nullable: false),
                    cpu_percent = table.Column<double>(type: "REAL", nullable: false),
                    load1 = table.Column<double>(type: "REAL", nullable: false),
                    load5 = table.Column<double>(type: "REAL", nullable: false),
                    load15 = table.Column<double>(type: "REAL", nullable: false),
                    mem_used_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    mem_total_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    swap_used_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    swap_total_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_used_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_total_bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    disk_read_bps = table.Column<double>(type: "REAL", nullable: false),
                    disk_write_bps = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_bps = table.Column<double>(type: "REAL", nullable: false),
                    net_tx_bps = table.Column<double>(type: "REAL", nullable: false),
                    net_rx_total = table.Column<long>(type: "INTEGER", nullable: false),
                    net_tx_total = table.Column<long>(type: "INTEGER", nullable: false),
                    tcp_connections = table.Column<int>(type: "INTEGER", nullable: false),
                    udp_connections = table.Column<int>(type: "INTEGER", nullable: false),
                    processes = table.Column<int>(type: "INTEGER", nullable: false),
                    uptime_seconds = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_samples", x => new { x.node_id, x.seq });
                });

            migrationBuilder.CreateTable(
                name: "settings",
                columns: table => new
                {
                    key = table.Column<string>(type: "TEXT", nullable: false),
                    value = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_settings", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", nullable: false),
                    role = table.Column<string>(type: "TEXT", nullable: false),
                    language = table.Column<string>(type: "TEXT", nullable: false),
                    theme = table.Column<string>(type: "TEXT", nullable: false),
                    dashboard_view = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_login_at = table.Column<long>(type: "INTEGER", nullable: true),
                    user_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    normalized_user_name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    email = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    normalized_email = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    email_confirmed = table.Column<bool>(type: "INTEGER", nullable: false),
                    password_hash = table.Column<string>(type: "TEXT", nullable: true),
                    security_stamp = table.Column<string>(type: "TEXT", nullable: true),
                    concurrency_stamp = table.Column<string>(type: "TEXT", nullable: true),
                    phone_number = table.Column<string>(type: "TEXT", nullable: true),
                    phone_number_confirmed = table.Column<bool>(type: "INTEGER", nullable: false),
                    two_factor_enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    lockout_end = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    lockout_enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    access_failed_count = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "user_claims",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    user_id = table.Column<string>(type: "TEXT", nullable: false),
                    claim_type = table.Column<string>(type: "TEXT", nullable: true),
                    claim_value = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_claims", x => x.id);
                    table.ForeignKey(
                        name: "FK_user_claims_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "user_logins",
                columns: table => new
                {
                    login_provider = table.Column<string>(type: "TEXT", nullable: false),
                    provider_key = table.Column<string>(type: "TEXT", nullable: false),
                    provider_display_name = table.Column<string>(type: "TEXT", nullable: true),
                    user_id = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_logins", x => new { x.login_provider, x.provider_key });
                    table.ForeignKey(
                        name: "FK_user_logins_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "user_tokens",
                columns: table => new
                {
                    user_id = table.Column<string>(type: "TEXT", nullable: false),
                    login_provider = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    value = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_tokens", x => new { x.user_id, x.login_provider, x.name });
                    table.ForeignKey(
                        name: "FK_user_tokens_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "rollup_state",
                columns: new[] { "name", "watermark_ms" },
                values: new object[,]
                {
                    { "1h", 0L },
                    { "1m", 0L }
                });

            migrationBuilder.CreateIndex(
                name: "IX_api_tokens_token_hash",
                table: "api_tokens",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_audit_log_at",
                table: "audit_log",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "IX_audit_log_node_id_id",
                table: "audit_log",
                columns: new[] { "node_id", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_exec_runs_batch_id",
                table: "exec_runs",
                column: "batch_id");

            migrationBuilder.CreateIndex(
                name: "IX_exec_runs_node_id_started_at",
                table: "exec_runs",
                columns: new[] { "node_id", "started_at" });

            migrationBuilder.CreateIndex(
                name: "IX_forward_rules_node_id",
                table: "forward_rules",
                column: "node_id");

            migrationBuilder.CreateIndex(
                name: "IX_forward_traffic_1h_bucket",
                table: "forward_traffic_1h",
                column: "bucket");

            migrationBuilder.CreateIndex(
                name: "IX_forward_traffic_1m_bucket",
                table: "forward_traffic_1m",
                column: "bucket");

            migrationBuilder.CreateIndex(
                name: "IX_node_join_requests_machine_id",
                table: "node_join_requests",
                column: "machine_id");

            migrationBuilder.CreateIndex(
                name: "IX_node_join_requests_state_created_at",
                table: "node_join_requests",
                columns: new[] { "state", "created_at" });

            migrationBuilder.CreateIndex(
                name: "IX_nodes_machine_id",
                table: "nodes",
                column: "machine_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_rollups_1h_bucket",
                table: "rollups_1h",
                column: "bucket");

            migrationBuilder.CreateIndex(
                name: "IX_rollups_1m_bucket",
                table: "rollups_1m",
                column: "bucket");

            migrationBuilder.CreateIndex(
                name: "IX_samples_node_id_ts",
                table: "samples",
                columns: new[] { "node_id", "ts" });

            migrationBuilder.CreateIndex(
                name: "IX_samples_ts",
                table: "samples",
                column: "ts");

            migrationBuilder.CreateIndex(
                name: "IX_user_claims_user_id",
                table: "user_claims",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "IX_user_logins_user_id",
                table: "user_logins",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "EmailIndex",
                table: "users",
                column: "normalized_email");

            migrationBuilder.CreateIndex(
                name: "UserNameIndex",
                table: "users",
                column: "normalized_user_name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_tokens");

            migrationBuilder.DropTable(
                name: "audit_log");

            migrationBuilder.DropTable(
                name: "exec_runs");

            migrationBuilder.DropTable(
                name: "forward_rules");

            migrationBuilder.DropTable(
                name: "forward_traffic_1h");

            migrationBuilder.DropTable(
                name: "forward_traffic_1m");

            migrationBuilder.DropTable(
                name: "node_join_requests");

            migrationBuilder.DropTable(
                name: "nodes");

            migrationBuilder.DropTable(
                name: "rollup_dirty");

            migrationBuilder.DropTable(
                name: "rollup_state");

            migrationBuilder.DropTable(
                name: "rollups_1h");

            migrationBuilder.DropTable(
                name: "rollups_1m");

            migrationBuilder.DropTable(
                name: "samples");

            migrationBuilder.DropTable(
                name: "settings");

            migrationBuilder.DropTable(
                name: "user_claims");

            migrationBuilder.DropTable(
                name: "user_logins");

            migrationBuilder.DropTable(
                name: "user_tokens");

            migrationBuilder.DropTable(
                name: "users");
        }
    }
}
