using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SentinelX.App.Features.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class NodeTombstones : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "node_tombstones",
                columns: table => new
                {
                    node_id = table.Column<string>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", nullable: false),
                    removed_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_node_tombstones", x => x.node_id);
                });

            // Up to 0.1.0, a removed Node was remembered as the setting "nodes.removed.{id}" = its name.
            migrationBuilder.Sql(
                "INSERT INTO node_tombstones (node_id, name, removed_at) " +
                "SELECT substr(key, 15), value, updated_at FROM settings WHERE substr(key, 1, 14) = 'nodes.removed.';");
            migrationBuilder.Sql("DELETE FROM settings WHERE substr(key, 1, 14) = 'nodes.removed.';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                "INSERT INTO settings (key, value, updated_at) " +
                "SELECT 'nodes.removed.' || node_id, name, removed_at FROM node_tombstones;");

            migrationBuilder.DropTable(
                name: "node_tombstones");
        }
    }
}
