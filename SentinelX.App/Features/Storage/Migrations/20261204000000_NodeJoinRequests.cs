using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable
#pragma warning disable CA1861 // literal arrays, as generated migrations have them

namespace SentinelX.App.Features.Storage.Migrations
{
    /// <summary>Requests to re-join an existing Node's record, waiting for an administrator.</summary>
    /// <remarks>Written by hand like <see cref="Initial"/>; SchemaTests compare the result with the model.</remarks>
    [DbContext(typeof(SentinelDb))]
    [Migration("20261204000000_NodeJoinRequests")]
    public sealed class NodeJoinRequests : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "node_join_requests",
                columns: table => new
                {
                    id = table.Column<string>(nullable: false),
                    node_id = table.Column<string>(nullable: false),
                    machine_id = table.Column<string>(nullable: false),
                    name = table.Column<string>(nullable: false),
                    hostname = table.Column<string>(nullable: false),
                    remote_address = table.Column<string>(nullable: true),
                    agent_version = table.Column<string>(nullable: false),
                    ticket_hash = table.Column<string>(nullable: false),
                    created_at = table.Column<long>(nullable: false),
                    state = table.Column<string>(nullable: false),
                    decided_at = table.Column<long>(nullable: true),
                    decided_by = table.Column<string>(nullable: true)
                },
                constraints: table => table.PrimaryKey("PK_node_join_requests", x => x.id));
            migrationBuilder.CreateIndex(name: "IX_node_join_requests_state_created_at", table: "node_join_requests", columns: new[] { "state", "created_at" });
            migrationBuilder.CreateIndex(name: "IX_node_join_requests_machine_id", table: "node_join_requests", column: "machine_id");
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "node_join_requests");
        }
    }
}
