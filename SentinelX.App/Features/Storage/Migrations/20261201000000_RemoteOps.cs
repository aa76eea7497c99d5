using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable
#pragma warning disable CA1861 // literal arrays, as generated migrations have them

namespace SentinelX.App.Features.Storage.Migrations
{
    /// <summary>Remote operations: capability switches per Node, the audit log and command history.</summary>
    /// <remarks>Written by hand like <see cref="Initial"/>; SchemaTests compare the result with the model.</remarks>
    [DbContext(typeof(SentinelDb))]
    [Migration("20261201000000_RemoteOps")]
    public sealed class RemoteOps : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every existing Node starts with every capability off.
            migrationBuilder.AddColumn<string>(name: "capabilities", table: "nodes", nullable: false, defaultValue: "");

            migrationBuilder.CreateTable(
                name: "audit_log",
                columns: table => new
                {
                    id = table.Column<long>(nullable: false)
                        .Annotation("Sqlite:Autoincrement", true)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    at = table.Column<long>(nullable: false),
                    actor = table.Column<string>(nullable: false),
                    actor_kind = table.Column<string>(nullable: false),
                    address = table.Column<string>(nullable: true),
                    node_id = table.Column<string>(nullable: true),
                    action = table.Column<string>(nullable: false),
                    target = table.Column<string>(nullable: false),
                    result = table.Column<string>(nullable: false),
                    detail = table.Column<string>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_audit_log", x => x.id));
            migrationBuilder.CreateIndex(name: "IX_audit_log_at", table: "audit_log", column: "at");
            migrationBuilder.CreateIndex(name: "IX_audit_log_node_id_id", table: "audit_log", columns: new[] { "node_id", "id" });

            migrationBuilder.CreateTable(
                name: "exec_runs",
                columns: table => new
                {
                    id = table.Column<string>(nullable: false),
                    batch_id = table.Column<string>(nullable: true),
                    node_id = table.Column<string>(nullable: false),
                    command = table.Column<string>(nullable: false),
                    run_as = table.Column<string>(nullable: false),
                    working_directory = table.Column<string>(nullable: false),
                    timeout_seconds = table.Column<int>(nullable: false),
                    requested_by = table.Column<string>(nullable: false),
                    started_at = table.Column<long>(nullable: false),
                    finished_at = table.Column<long>(nullable: true),
                    status = table.Column<string>(nullable: false),
                    exit_code = table.Column<int>(nullable: true),
                    duration_ms = table.Column<long>(nullable: false),
                    stdout = table.Column<string>(nullable: false),
                    stderr = table.Column<string>(nullable: false),
                    truncated = table.Column<bool>(nullable: false),
                    error = table.Column<string>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_exec_runs", x => x.id));
            migrationBuilder.CreateIndex(name: "IX_exec_runs_batch_id", table: "exec_runs", column: "batch_id");
            migrationBuilder.CreateIndex(name: "IX_exec_runs_node_id_started_at", table: "exec_runs", columns: new[] { "node_id", "started_at" });
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "exec_runs");
            migrationBuilder.DropTable(name: "audit_log");
            migrationBuilder.DropColumn(name: "capabilities", table: "nodes");
        }
    }
}
