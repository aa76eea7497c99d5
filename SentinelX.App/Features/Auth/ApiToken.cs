using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Auth;

/// <summary>An API token as stored. The token itself is shown once; only its SHA-256 is kept.</summary>
public sealed class ApiToken
{
    public required string Id { get; set; }
    public required string Name { get; set; }

    /// <summary>"admin", "operator" or "viewer" (see <see cref="Roles"/>).</summary>
    public required string Role { get; set; }

    /// <summary>SHA-256 of the token, lowercase hex; unique.</summary>
    public required string TokenHash { get; set; }

    /// <summary>The first characters of the token, so a user can tell tokens apart in a list.</summary>
    public required string Prefix { get; set; }
    public long CreatedAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? LastUsedAt { get; set; }
    public long? RevokedAt { get; set; }
}

/// <summary>The three roles, from most to least powerful.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Operator, Viewer];

    public static bool IsValid(string? role) => role is Admin or Operator or Viewer;
}

internal sealed class ApiTokenMapping : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> e)
    {
        e.ToTable("api_tokens");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.TokenHash).IsUnique();
    }
}
