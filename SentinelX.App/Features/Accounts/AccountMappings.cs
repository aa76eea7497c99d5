using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Accounts;

// Identity maps its entities in IdentityUserContext; these only give its tables our names.

internal sealed class SentinelUserMapping : IEntityTypeConfiguration<SentinelUser>
{
    public void Configure(EntityTypeBuilder<SentinelUser> e) => e.ToTable("users");
}

internal sealed class UserClaimMapping : IEntityTypeConfiguration<IdentityUserClaim<string>>
{
    public void Configure(EntityTypeBuilder<IdentityUserClaim<string>> e) => e.ToTable("user_claims");
}

internal sealed class UserLoginMapping : IEntityTypeConfiguration<IdentityUserLogin<string>>
{
    public void Configure(EntityTypeBuilder<IdentityUserLogin<string>> e) => e.ToTable("user_logins");
}

internal sealed class UserTokenMapping : IEntityTypeConfiguration<IdentityUserToken<string>>
{
    public void Configure(EntityTypeBuilder<IdentityUserToken<string>> e) => e.ToTable("user_tokens");
}
