using System.CommandLine;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Storage;

namespace SentinelX.App.Features.Cli;

/// <summary>
/// The <c>sentinelx</c> command line. Commands that print a secret print only the secret on stdout
/// and everything else on stderr, so <c>KEY=$(sentinelx key show)</c> works.
/// </summary>
public static class CoreCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./data, or DataDir / SENTINELX_DATADIR)", Recursive = true };
        var urls = new Option<string?>("--urls") { Description = "Addresses to listen on (default http://0.0.0.0:5080)" };

        var serve = new Command("serve", "Run the Core (the default command)") { urls };
        serve.SetAction((result, ct) => ServeAsync(result.GetValue(data), result.GetValue(urls), ct));

        var root = new RootCommand("SentinelX Core: fleet monitoring and control") { data, serve, KeyCommand(data), TokenCommand(data), UserCommand(data) };
        var rootUrls = new Option<string?>("--urls") { Description = urls.Description };
        root.Options.Add(rootUrls);
        root.SetAction((result, ct) => ServeAsync(result.GetValue(data), result.GetValue(rootUrls), ct));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Errors go to stderr only: stdout is reserved for secrets that scripts capture.
            foreach (var error in parsed.Errors) Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine("Run `sentinelx --help` for usage.");
            return 2;
        }

        return await parsed.InvokeAsync();
    }

    private static async Task<int> ServeAsync(string? dataFlag, string? urls, CancellationToken ct)
    {
        var dataDir = CoreConfiguration.ResolveDataDir(dataFlag, CoreConfiguration.Load());
        await using var app = await CoreHost.CreateAsync(dataDir, urls, ct: ct);
        await app.RunAsync();
        return 0;
    }

    private static Command KeyCommand(Option<string?> data)
    {
        var show = new Command("show", "Print the enrollment key (generated if missing)");
        show.SetAction(result =>
        {
            var store = KeyStore(result.GetValue(data));
            Console.Out.WriteLine(store.GetOrCreate());
            Console.Error.WriteLine($"Enrollment key from {store.KeyPath}. Nodes use it once to enroll.");
            return 0;
        });

        var rotate = new Command("rotate", "Replace the enrollment key; enrolled Nodes keep working");
        rotate.SetAction(async (result, ct) =>
        {
            var store = KeyStore(result.GetValue(data));
            Console.Out.WriteLine(store.Rotate());
            Console.Error.WriteLine($"New enrollment key written to {store.KeyPath}. The old key no longer enrolls Nodes; enrolled Nodes are not affected.");
            using var host = StorageHost(result.GetValue(data));
            await host.Services.MigrateAsync(ct);
            await AuditAsync(host.Services, AuditActions.KeyRotate, "enrollment key", "", ct);
            return 0;
        });

        return new Command("key", "Show or rotate the enrollment key") { show, rotate };
    }

    private static Command TokenCommand(Option<string?> data)
    {
        var name = new Option<string>("--name") { Description = "What the token is for", Required = true };
        var role = new Option<string>("--role") { Description = "admin, operator or viewer", Required = true };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var expires = new Option<int?>("--expires-days") { Description = "Days until the token expires (default: never)" };
        var create = new Command("create", "Create an API token and print it (shown once)") { name, role, expires };
        create.SetAction(async (result, ct) =>
        {
            var configuration = CoreConfiguration.Load();
            var dataDir = CoreConfiguration.ResolveDataDir(result.GetValue(data), configuration);
            var days = result.GetValue(expires);
            if (days is <= 0)
            {
                Console.Error.WriteLine("--expires-days must be positive");
                return 2;
            }

            // The database without the web host: same storage setup, no logging on stdout.
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddConfiguration(configuration);
            builder.AddStorage(dataDir);
            using var host = builder.Build();
            await host.Services.MigrateAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var tokens = new TokenService(scope.ServiceProvider.GetRequiredService<SentinelDb>(), TimeProvider.System);
            try
            {
                var expiresAt = days is { } d ? DateTimeOffset.UtcNow.AddDays(d) : (DateTimeOffset?)null;
                var (token, secret) = await tokens.CreateAsync(result.GetValue(name)!, result.GetValue(role)!, expiresAt, ct);
                await AuditAsync(host.Services, AuditActions.TokenCreate, token.Name, $"role {token.Role}, id {token.Id}", ct);
                Console.Out.WriteLine(secret);
                Console.Error.WriteLine($"Token '{token.Name}' ({token.Role}, id {token.Id}) created. It is shown only this once.");
                return 0;
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine(ex.Message.Split(" (Parameter")[0]);
                return 2;
            }
        });

        return new Command("token", "Manage API tokens") { create };
    }

    private static Command UserCommand(Option<string?> data)
    {
        var addName = new Argument<string>("name") { Description = "User name" };
        var role = new Option<string>("--role") { Description = "admin, operator or viewer", Required = true };
        role.AcceptOnlyFromAmong([.. Roles.All]);
        var add = new Command("add", "Create a user; the password is read from stdin, or generated and printed once") { addName, role };
        add.SetAction((result, ct) => WithUsersAsync(result.GetValue(data), async (users, time, services) =>
        {
            var (password, generated) = ReadOrGeneratePassword();
            var error = await Users.UserAdmin.CreateUserAsync(users, time, result.GetValue(addName)!, result.GetValue(role)!, password, ct);
            if (error is null) await AuditAsync(services, AuditActions.UserCreate, result.GetValue(addName)!.Trim(), "role " + result.GetValue(role), ct);
            return Report(error, generated, password, $"User '{result.GetValue(addName)}' ({result.GetValue(role)}) created.");
        }, ct));

        var resetName = new Argument<string>("name") { Description = "User name" };
        var reset = new Command("reset-password", "Set a new password (from stdin, or generated and printed once), lift a lockout, end the user's sessions") { resetName };
        reset.SetAction((result, ct) => WithUserAsync(result.GetValue(data), result.GetValue(resetName)!, async (users, user, services) =>
        {
            var (password, generated) = ReadOrGeneratePassword();
            var error = await Users.UserAdmin.SetPasswordAsync(users, user, password);
            if (error is null) await AuditAsync(services, AuditActions.UserUpdate, user.UserName ?? "", "password reset", ct);
            return Report(error, generated, password, $"Password of '{user.UserName}' reset; their open sessions end.");
        }, ct));

        var roleName = new Argument<string>("name") { Description = "User name" };
        var newRole = new Option<string>("--role") { Description = "admin, operator or viewer", Required = true };
        newRole.AcceptOnlyFromAmong([.. Roles.All]);
        var setRole = new Command("set-role", "Change a user's role; their open sessions and terminals end within seconds") { roleName, newRole };
        setRole.SetAction((result, ct) => WithUserAsync(result.GetValue(data), result.GetValue(roleName)!, async (users, user, services) =>
        {
            var role = result.GetValue(newRole)!;
            var error = await Users.UserAdmin.ChangeRoleCoreAsync(users, services.GetRequiredService<SentinelDb>(), user.Id, role, ct);
            if (error is null) await AuditAsync(services, AuditActions.UserUpdate, user.UserName ?? "", "role " + role, ct);
            return Report(error, false, "", $"'{user.UserName}' is now {role}; their open sessions end.");
        }, ct));

        var deleteName = new Argument<string>("name") { Description = "User name" };
        var delete = new Command("delete", "Delete a user; their open sessions and terminals end within seconds") { deleteName };
        delete.SetAction((result, ct) => WithUserAsync(result.GetValue(data), result.GetValue(deleteName)!, async (users, user, services) =>
        {
            var error = await Users.UserAdmin.DeleteCoreAsync(users, services.GetRequiredService<SentinelDb>(), user.Id, ct);
            if (error is null) await AuditAsync(services, AuditActions.UserDelete, user.UserName ?? "", "", ct);
            return Report(error, false, "", $"User '{user.UserName}' deleted; their open sessions end.");
        }, ct));

        return new Command("user", "Add, change or delete users, or reset a password (e.g. when the only admin forgot theirs)") { add, reset, setRole, delete };
    }

    private static Task<int> WithUserAsync(string? dataFlag, string name,
        Func<Microsoft.AspNetCore.Identity.UserManager<Accounts.SentinelUser>, Accounts.SentinelUser, IServiceProvider, Task<int>> action, CancellationToken ct) =>
        WithUsersAsync(dataFlag, async (users, _, services) =>
        {
            var user = await users.FindByNameAsync(name);
            if (user is null)
            {
                Console.Error.WriteLine($"No user named '{name}'.");
                return 1;
            }
            return await action(users, user, services);
        }, ct);

    private static (string Password, bool Generated) ReadOrGeneratePassword()
    {
        var typed = Console.IsInputRedirected ? Console.In.ReadLine()?.TrimEnd('\r', '\n') : null;
        return string.IsNullOrEmpty(typed) ? (SecretText.New("", 15).ToLowerInvariant(), true) : (typed, false);
    }

    private static int Report(string? error, bool generated, string password, string done)
    {
        if (error is not null)
        {
            Console.Error.WriteLine(error);
            return 2;
        }
        if (generated) Console.Out.WriteLine(password);
        Console.Error.WriteLine(generated ? done + " The generated password above is shown only this once." : done);
        return 0;
    }

    /// <summary>Identity over the database, without the web host.</summary>
    private static async Task<int> WithUsersAsync(string? dataFlag,
        Func<Microsoft.AspNetCore.Identity.UserManager<Accounts.SentinelUser>, TimeProvider, IServiceProvider, Task<int>> action, CancellationToken ct)
    {
        var configuration = CoreConfiguration.Load();
        var dataDir = CoreConfiguration.ResolveDataDir(dataFlag, configuration);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        builder.AddDataDirectory(dataDir);
        builder.AddStorage(dataDir);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDir, "keys")));
        Accounts.AccountsSetup.AddSentinelIdentity(builder.Services);
        using var host = builder.Build();
        await host.Services.MigrateAsync(ct);
        await using var scope = host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Accounts.SentinelUser>>(), TimeProvider.System, scope.ServiceProvider);
    }

    /// <summary>The database without the web host (and without logging on stdout).</summary>
    private static IHost StorageHost(string? dataFlag)
    {
        var configuration = CoreConfiguration.Load();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        var dataDir = CoreConfiguration.ResolveDataDir(dataFlag, configuration);
        builder.AddDataDirectory(dataDir);
        builder.AddStorage(dataDir);
        return builder.Build();
    }

    /// <summary>What the CLI changes is in the audit log like what the UI and API change; its actor is "cli".</summary>
    private static Task AuditAsync(IServiceProvider services, string action, string target, string detail, CancellationToken ct) =>
        new AuditLog(services.GetRequiredService<IDbContextFactory<SentinelDb>>(), TimeProvider.System, NullLogger<AuditLog>.Instance)
            .RecordAsync(AuditActor.Cli, action, null, target, AuditResults.Ok, detail, ct);

    private static CoreKeyStore KeyStore(string? dataFlag) =>
        new(CoreConfiguration.ResolveDataDir(dataFlag, CoreConfiguration.Load()));
}
