using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable
#pragma warning disable CA1861 // literal arrays, as generated migrations have them

namespace SentinelX.App.Features.Storage.Migrations
{
    /// <summary>UI accounts (ASP.NET Core Identity's user tables), settings, and the Node fields people edit.</summary>
    /// <remarks>Written by hand like <see cref="Initial"/>; SchemaTests compare the result with the model.</remarks>
    [DbContext(typeof(SentinelDb))]
    [Migration("20261124000000_Accounts")]
    public sealed class Accounts : Migration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Existing Nodes get empty labels and the 1st of the month as their traffic reset day.
            migrationBuilder.AddColumn<string>(name: "tags", table: "nodes", nullable: false, defaultValue: "");
            migrationBuilder.AddColumn<string>(name: "group_name", table: "nodes", nullable: false, defaultValue: "");
            migrationBuilder.AddColumn<string>(name: "region", table: "nodes", nullable: false, defaultValue: "");
            migrationBuilder.AddColumn<string>(name: "notes", table: "nodes", nullable: false, defaultValue: "");
            migrationBuilder.AddColumn<int>(name: "traffic_reset_day", table: "nodes", nullable: false, defaultValue: 1);

            migrationBuilder.CreateTable(
                name: "settings",
                columns: table => new
                {
                    key = table.Column<string>(nullable: false),
                    value = table.Column<string>(nullable: false),
                    updated_at = table.Column<long>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_settings", x => x.key));

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<string>(nullable: false),
                    role = table.Column<string>(nullable: false),
                    language = table.Column<string>(nullable: false),
                    theme = table.Column<string>(nullable: false),
                    dashboard_view = table.Column<string>(nullable: false),
                    created_at = table.Column<long>(nullable: false),
                    last_login_at = table.Column<long>(nullable: true),
                    user_name = table.Column<string>(maxLength: 256, nullable: true),
                    normalized_user_name = table.Column<string>(maxLength: 256, nullable: true),
                    email = table.Column<string>(maxLength: 256, nullable: true),
                    normalized_email = table.Column<string>(maxLength: 256, nullable: true),
                    email_confirmed = table.Column<bool>(nullable: false),
                    password_hash = table.Column<string>(nullable: true),
                    security_stamp = table.Column<string>(nullable: true),
                    concurrency_stamp = table.Column<string>(nullable: true),
                    phone_number = table.Column<string>(nullable: true),
                    phone_number_confirmed = table.Column<bool>(nullable: false),
                    two_factor_enabled = table.Column<bool>(nullable: false),
                    lockout_end = table.Column<DateTimeOffset>(nullable: true),
                    lockout_enabled = table.Column<bool>(nullable: false),
                    access_failed_count = table.Column<int>(nullable: false)
                },
                constraints: table => table.PrimaryKey("PK_users", x => x.id));
            migrationBuilder.CreateIndex(name: "EmailIndex", table: "users", column: "normalized_email");
            migrationBuilder.CreateIndex(name: "UserNameIndex", table: "users", column: "normalized_user_name", unique: true);

            migrationBuilder.CreateTable(
                name: "user_claims",
                columns: table => new
                {
                    id = table.Column<int>(nullable: false)
                        .Annotation("Sqlite:Autoincrement", true)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    user_id = table.Column<string>(nullable: false),
                    claim_type = table.Column<string>(nullable: true),
                    claim_value = table.Column<string>(nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_claims", x => x.id);
                    table.ForeignKey("FK_user_claims_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
                });
            migrationBuilder.CreateIndex(name: "IX_user_claims_user_id", table: "user_claims", column: "user_id");

            migrationBuilder.CreateTable(
                name: "user_logins",
                columns: table => new
                {
                    login_provider = table.Column<string>(nullable: false),
                    provider_key = table.Column<string>(nullable: false),
                    provider_display_name = table.Column<string>(nullable: true),
                    user_id = table.Column<string>(nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_logins", x => new { x.login_provider, x.provider_key });
                    table.ForeignKey("FK_user_logins_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
                });
            migrationBuilder.CreateIndex(name: "IX_user_logins_user_id", table: "user_logins", column: "user_id");

            migrationBuilder.CreateTable(
                name: "user_tokens",
                columns: table => new
                {
                    user_id = table.Column<string>(nullable: false),
                    login_provider = table.Column<string>(nullable: false),
                    name = table.Column<string>(nullable: false),
                    value = table.Column<string>(nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_user_tokens", x => new { x.user_id, x.login_provider, x.name });
                    table.ForeignKey("FK_user_tokens_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
                });
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "user_tokens");
            migrationBuilder.DropTable(name: "user_logins");
            migrationBuilder.DropTable(name: "user_claims");
            migrationBuilder.DropTable(name: "users");
            migrationBuilder.DropTable(name: "settings");
            migrationBuilder.DropColumn(name: "tags", table: "nodes");
            migrationBuilder.DropColumn(name: "group_name", table: "nodes");
            migrationBuilder.DropColumn(name: "region", table: "nodes");
            migrationBuilder.DropColumn(name: "notes", table: "nodes");
            migrationBuilder.DropColumn(name: "traffic_reset_day", table: "nodes");
        }
    }
}
