using Microsoft.AspNetCore.Identity;
using SentinelX.App.Features.Localization;

namespace SentinelX.App.Features.Accounts;

/// <summary>Identity's messages that people actually meet (sign-up, password change), in the UI's language.</summary>
public sealed class LocalizedIdentityErrors(UiText T) : IdentityErrorDescriber
{
    public override IdentityError PasswordTooShort(int length) =>
        new() { Code = nameof(PasswordTooShort), Description = T.Format("Passwords must be at least {0} characters.", length) };

    public override IdentityError PasswordMismatch() =>
        new() { Code = nameof(PasswordMismatch), Description = T["Incorrect password."] };

    public override IdentityError DuplicateUserName(string userName) =>
        new() { Code = nameof(DuplicateUserName), Description = T.Format("The user name {0} is already taken.", userName) };

    public override IdentityError InvalidUserName(string? userName) =>
        new() { Code = nameof(InvalidUserName), Description = T.Format("The user name {0} is invalid: use letters, digits and - . _ @ + only.", userName) };

    public override IdentityError InvalidToken() =>
        new() { Code = nameof(InvalidToken), Description = T["The code is invalid or has expired."] };

    public override IdentityError ConcurrencyFailure() =>
        new() { Code = nameof(ConcurrencyFailure), Description = T["Someone else changed this account at the same time; reload and try again."] };
}
