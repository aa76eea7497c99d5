using System.Security.Claims;
using FluentAssertions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SentinelX.App.Features.Accounts;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Storage;
using SentinelX.App.Features.Tokens;
using SentinelX.App.Features.Users;
using Xunit;

namespace SentinelX.Tests.Accounts;

/// <summary>The admin-only services behind the users and API tokens pages, over a real migrated database.</summary>
public sealed class AccountAdminTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "sx-accounts-" + Guid.NewGuid().ToString("N"));
    private IHost _host = null!;
    private AsyncServiceScope _scope;

    private UserManager<SentinelUser> Users => _scope.ServiceProvider.GetRequiredService<UserManager<SentinelUser>>();
    private UserAdmin Admin => _scope.ServiceProvider.GetRequiredService<UserAdmin>();
    private TokenAdmin Tokens => _scope.ServiceProvider.GetRequiredService<TokenAdmin>();

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection();
        builder.AddStorage(_dataDir);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddSentinelIdentity();
        builder.Services.AddScoped<TokenService>();
        builder.Services.AddSingleton<SentinelX.App.Features.Settings.CoreSettings>();
        builder.Services.AddScoped<UserAdmin>();
        builder.Services.AddScoped<TokenAdmin>();
        builder.Services.AddLogging();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddScoped(_ => new CircuitClient { Address = "192.0.2.7" });
        builder.Services.AddSingleton<AccountSessions>();
        builder.Services.AddSingleton<ResumeTickets>();
        _host = builder.Build();
        await _host.Services.MigrateAsync();
        _scope = _host.Services.CreateAsyncScope();
    }

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(SentinelUser User, ClaimsPrincipal Principal)> UserAsync(string name, string role)
    {
        (await UserAdmin.CreateUserAsync(Users, TimeProvider.System, name, role, Password, CancellationToken.None)).Should().BeNull();
        var user = (await Users.FindByNameAsync(name))!;
        return (user, Principal(user.Id, role, name));
    }

    private static ClaimsPrincipal Principal(string id, string role, string name = "someone") => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Operator)]
    public async Task Users_and_tokens_refuse_a_caller_who_is_not_an_admin(string role)
    {
        var (admin, _) = await UserAsync("boss", Roles.Admin);
        var (_, caller) = await UserAsync("someone", role);
        var ct = CancellationToken.None;

        await Admin.Invoking(a => a.ListAsync(caller, ct)).Should().ThrowAsync<UnauthorizedAccessException>();
        await Admin.Invoking(a => a.CreateAsync(caller, "mallory", Roles.Admin, Password, ct)).Should().ThrowAsync<UnauthorizedAccessException>();
        await Admin.Invoking(a => a.ChangeRoleAsync(caller, admin.Id, Roles.Viewer, ct)).Should().ThrowAsync<UnauthorizedAccessException>();
        await Admin.Invoking(a => a.ResetPasswordAsync(caller, admin.Id, "new password 123", ct)).Should().ThrowAsync<UnauthorizedAccessException>();
        await Admin.Invoking(a => a.DeleteAsync(caller, admin.Id, ct)).Should().ThrowAsync<UnauthorizedAccessException>();
        await Tokens.Invoking(t => t.ListAsync(caller, ct)).Should().ThrowAsync<UnauthorizedAccessException>();
        await Tokens.Invoking(t => t.CreateAsync(caller, "x", Roles.Admin, null, ct)).Should().ThrowAsync<UnauthorizedAccessException>();
        await Tokens.Invoking(t => t.RevokeAsync(caller, "any", ct)).Should().ThrowAsync<UnauthorizedAccessException>();

        (await Users.FindByNameAsync("mallory")).Should().BeNull();
        (await Users.FindByIdAsync(admin.Id))!.Role.Should().Be(Roles.Admin);
        (await Users.CheckPasswordAsync((await Users.FindByIdAsync(admin.Id))!, Password)).Should().BeTrue();
    }

    [Fact]
    public async Task A_role_claim_on_the_cookie_is_not_enough_when_the_stored_role_is_lower()
    {
        var (demoted, _) = await UserAsync("former", Roles.Viewer);
        await UserAsync("boss", Roles.Admin);
        var stale = Principal(demoted.Id, Roles.Admin);
        await Admin.Invoking(a => a.ListAsync(stale, CancellationToken.None)).Should().ThrowAsync<UnauthorizedAccessException>();
    }

    [Fact]
    public async Task The_last_admin_can_be_neither_demoted_nor_deleted()
    {
        var (admin, principal) = await UserAsync("boss", Roles.Admin);
        (await Admin.ChangeRoleAsync(principal, admin.Id, Roles.Operator, CancellationToken.None)).Should().Be(UserAdmin.LastAdminError);
        (await Admin.DeleteAsync(principal, admin.Id, CancellationToken.None)).Should().Be(UserAdmin.LastAdminError);

        var (second, _) = await UserAsync("deputy", Roles.Admin);
        (await Admin.ChangeRoleAsync(principal, second.Id, Roles.Viewer, CancellationToken.None)).Should().BeNull();
        (await Admin.DeleteAsync(principal, admin.Id, CancellationToken.None)).Should().Be(UserAdmin.LastAdminError);
    }

    [Fact]
    public async Task Changing_a_role_or_password_gives_the_user_a_new_security_stamp()
    {
        var (_, principal) = await UserAsync("boss", Roles.Admin);
        var (user, _) = await UserAsync("ops", Roles.Operator);
        var stamp = user.SecurityStamp;

        (await Admin.ChangeRoleAsync(principal, user.Id, Roles.Viewer, CancellationToken.None)).Should().BeNull();
        var afterRole = (await Users.FindByIdAsync(user.Id))!;
        afterRole.Role.Should().Be(Roles.Viewer);
        afterRole.SecurityStamp.Should().NotBe(stamp);

        (await Admin.ResetPasswordAsync(principal, user.Id, "short", CancellationToken.None)).Should().NotBeNull();
        (await Admin.ResetPasswordAsync(principal, user.Id, "another long password", CancellationToken.None)).Should().BeNull();
        var afterReset = (await Users.FindByIdAsync(user.Id))!;
        afterReset.SecurityStamp.Should().NotBe(afterRole.SecurityStamp);
        (await Users.CheckPasswordAsync(afterReset, "another long password")).Should().BeTrue();

        // Every change is audited with who and from where, the refused password too.
        var audit = await _host.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Action = "user." });
        audit.Select(e => (e.Target, e.Result, e.Detail.Length > 0)).Should().Equal(
            ("ops", AuditResults.Ok, true), ("ops", AuditResults.Failed, true), ("ops", AuditResults.Ok, true));
        audit.Should().OnlyContain(e => e.Actor == "boss" && e.ActorKind == "user" && e.Address == "192.0.2.7" && e.Action == AuditActions.UserUpdate);
    }

    [Fact]
    public async Task An_admin_creates_and_revokes_tokens_through_the_token_service()
    {
        var (_, principal) = await UserAsync("boss", Roles.Admin);
        var (token, secret) = await Tokens.CreateAsync(principal, "backup", Roles.Viewer, DateTimeOffset.UtcNow.AddDays(3), CancellationToken.None);
        secret.Should().StartWith(TokenService.Prefix);
        (await Tokens.ListAsync(principal, CancellationToken.None)).Should().ContainSingle(t => t.Id == token.Id);
        (await Tokens.RevokeAsync(principal, token.Id, CancellationToken.None)).Should().BeTrue();
        (await Tokens.RevokeAsync(principal, token.Id, CancellationToken.None)).Should().BeFalse();
        (await _scope.ServiceProvider.GetRequiredService<TokenService>().FindLiveAsync(secret, CancellationToken.None)).Should().BeNull();
    }

    private AccountSessions Sessions => _host.Services.GetRequiredService<AccountSessions>();

    private sealed class Ends
    {
        public readonly List<string> Reasons = [];
        public void End(string reason) { lock (Reasons) Reasons.Add(reason); }
    }

    private async Task<Ends> OpenAsync(SentinelUser user, string what = "terminal")
    {
        var ends = new Ends();
        var fresh = (await Users.FindByIdAsync(user.Id))!;
        Sessions.Track(fresh.Id, fresh.UserName!, fresh.SecurityStamp, fresh.Role, what, ends.End);
        return ends;
    }

    [Fact]
    public async Task Demoting_deleting_or_resetting_a_user_ends_their_open_streams_at_once_and_audits_it()
    {
        var (_, admin) = await UserAsync("boss", Roles.Admin);
        var (demoted, _) = await UserAsync("demoted", Roles.Operator);
        var (deleted, _) = await UserAsync("deleted", Roles.Operator);
        var (reset, _) = await UserAsync("reset", Roles.Operator);
        var (bystander, _) = await UserAsync("bystander", Roles.Operator);
        var demotedEnds = await OpenAsync(demoted);
        var deletedEnds = await OpenAsync(deleted);
        var resetEnds = await OpenAsync(reset);
        var bystanderEnds = await OpenAsync(bystander);

        // No periodic check runs in this host: the signal from the admin action alone ends them.
        (await Admin.ChangeRoleAsync(admin, demoted.Id, Roles.Viewer, CancellationToken.None)).Should().BeNull();
        (await Admin.DeleteAsync(admin, deleted.Id, CancellationToken.None)).Should().BeNull();
        (await Admin.ResetPasswordAsync(admin, reset.Id, "another long password", CancellationToken.None)).Should().BeNull();

        demotedEnds.Reasons.Should().Equal("role changed to viewer");
        deletedEnds.Reasons.Should().Equal("account deleted");
        resetEnds.Reasons.Should().Equal("account changed");
        bystanderEnds.Reasons.Should().BeEmpty();
        Sessions.OpenFor(bystander.Id).Should().Be(1);
        Sessions.OpenFor(demoted.Id).Should().Be(0);

        var ends = await _host.Services.GetRequiredService<AuditLog>().QueryAsync(new AuditQuery { Action = AuditActions.SessionEnd });
        ends.Select(e => (e.Target, e.Detail)).Should().BeEquivalentTo(new[]
        {
            ("demoted", "role changed to viewer: ended terminal"),
            ("deleted", "account deleted: ended terminal"),
            ("reset", "account changed: ended terminal"),
        });
    }

    [Fact]
    public async Task A_change_made_by_another_process_is_found_by_the_periodic_check()
    {
        var (user, _) = await UserAsync("cli-changed", Roles.Operator);
        var ends = await OpenAsync(user, "terminal on web1");
        await Sessions.CheckAsync();
        ends.Reasons.Should().BeEmpty("nothing changed yet");

        // What `sentinelx user set-role` does, without telling this process.
        await using (var other = _host.Services.CreateAsyncScope())
        {
            var users = other.ServiceProvider.GetRequiredService<UserManager<SentinelUser>>();
            (await UserAdmin.ChangeRoleCoreAsync(users, other.ServiceProvider.GetRequiredService<SentinelDb>(), user.Id, Roles.Viewer, CancellationToken.None)).Should().BeNull();
        }
        ends.Reasons.Should().BeEmpty();
        await Sessions.CheckAsync();
        ends.Reasons.Should().Equal("role changed to viewer");
        await Sessions.CheckAsync();
        ends.Reasons.Should().HaveCount(1, "a stream ends once");
    }

    [Fact]
    public async Task A_resume_ticket_only_signs_in_the_browser_of_the_session_it_was_issued_to()
    {
        var (victim, _) = await UserAsync("victim", Roles.Viewer);
        var (attacker, _) = await UserAsync("attacker", Roles.Viewer);
        var tickets = _host.Services.GetRequiredService<ResumeTickets>();
        var oldStamp = attacker.SecurityStamp;
        await Users.UpdateSecurityStampAsync(attacker);
        string Issue() => tickets.Issue(attacker.Id, attacker.SecurityStamp!, oldStamp);

        // Login CSRF: the attacker's ticket in the victim's browser (signed in as the victim, or not at all).
        (await tickets.RedeemAsync(Issue(), Users, victim.Id, victim.SecurityStamp)).Should().BeNull();
        (await tickets.RedeemAsync(Issue(), Users, null, null)).Should().BeNull();
        (await tickets.RedeemAsync(Issue(), Users, attacker.Id, "another session")).Should().BeNull();
        (await tickets.RedeemAsync("not a ticket\n\n", Users, attacker.Id, oldStamp)).Should().BeNull();

        // The browser that made the change.
        var ticket = Issue();
        (await tickets.RedeemAsync(ticket, Users, attacker.Id, oldStamp))!.Id.Should().Be(attacker.Id);
        (await tickets.RedeemAsync(ticket, Users, attacker.Id, oldStamp)).Should().BeNull("single use");
    }

    [Fact]
    public async Task A_flood_of_failed_sign_ins_from_one_address_writes_a_bounded_number_of_audit_rows()
    {
        var audit = _host.Services.GetRequiredService<AuditLog>();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var signIns = new SignInAudit(audit, clock);
        for (var i = 0; i < 500; i++) await signIns.FailedAsync("admin'; DROP TABLE users;--" + i, "203.0.113.9", "wrong user name or password");
        await signIns.FailedAsync("admin", "198.51.100.1", "wrong code");

        var rows = await audit.QueryAsync(new AuditQuery { Action = AuditActions.SignInFailed, Limit = 1000 });
        rows.Count(r => r.Address == "203.0.113.9").Should().Be(SignInAudit.RowsPerMinute + 1);
        rows.Should().ContainSingle(r => r.Address == "198.51.100.1" && r.Detail == "wrong code" && r.Result == AuditResults.Refused);

        // The next minute starts with a row counting what the last one did not record one by one.
        clock.Advance(TimeSpan.FromMinutes(1));
        await signIns.FailedAsync("admin", "203.0.113.9", "wrong user name or password");
        rows = await audit.QueryAsync(new AuditQuery { Action = AuditActions.SignInFailed, Limit = 1000 });
        rows.Should().Contain(r => r.Address == "203.0.113.9" && r.Detail.StartsWith("490 more failed sign-ins", StringComparison.Ordinal));
        rows.Count(r => r.Address == "203.0.113.9").Should().Be(SignInAudit.RowsPerMinute + 3);
    }
}
