using System.Globalization;
using System.Net.WebSockets;
using System.Security.Claims;
using Bunit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Radzen;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Storage;
using SentinelX.Shared.Metrics;
using Xunit;

using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Ui;

/// <summary>
/// A bunit context over a real Core that is built but never started: its own services (SQLite in a
/// temp directory, the Node registry, forwards, capability locks, Radzen, the UI's text) back every
/// component. The test says who is signed in and which language the circuit speaks.
/// </summary>
public sealed class ComponentTestContext : BunitContext
{
    private readonly string _dataDir;
    private readonly WebApplication _core;
    private readonly AsyncServiceScope _circuit;
    private readonly SignedInUser _user = new();
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture, _uiCulture = CultureInfo.CurrentUICulture;

    private ComponentTestContext(string dataDir, WebApplication core)
    {
        _dataDir = dataDir;
        _core = core;
        // One scope stands for one browser circuit: scoped services (DialogService, BrowserClock) are shared by the components in it.
        _circuit = core.Services.CreateAsyncScope();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddCascadingAuthenticationState();
        Services.AddSingleton<AuthenticationStateProvider>(_user);
        // bunit puts a placeholder here; the Core's own service applies the real role policies.
        Services.AddSingleton(_ => _circuit.ServiceProvider.GetRequiredService<IAuthorizationService>());
        // Radzen's services as the Core registers them, but over bunit's NavigationManager: the Core's only works inside a real circuit.
        Services.AddRadzenComponents();
        Services.AddFallbackServiceProvider(_circuit.ServiceProvider);
    }

    public static async Task<ComponentTestContext> StartAsync()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sx-ui-" + Guid.NewGuid().ToString("N")[..12]);
        var core = await InProcessCore.CreateAsync(dataDir);
        return new ComponentTestContext(dataDir, core);
    }

    public NodeRegistry Registry => Core<NodeRegistry>();

    public UiText T => Core<UiText>();

    /// <summary>A service as the Core registers it.</summary>
    public TService Core<TService>() where TService : notnull => _circuit.ServiceProvider.GetRequiredService<TService>();

    /// <summary>Signs in as <paramref name="role"/> (admin, operator or viewer); components read it on their next render.</summary>
    public ComponentTestContext SignIn(string role, string name = "alice")
    {
        _user.Principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "user-" + name), new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)],
            authenticationType: "test"));
        return this;
    }

    /// <summary>Renders in <paramref name="language"/> ("en" or "zh-CN") from here on, as the culture cookie would.</summary>
    public ComponentTestContext Speak(string language)
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(language);
        return this;
    }

    /// <summary>Stores a Node as enrollment would and loads it into the registry (offline, nothing reported yet).</summary>
    public async Task<NodeState> AddNodeAsync(string id, string name, Action<NodeRecord>? edit = null)
    {
        var record = new NodeRecord { Id = id, Name = name, MachineId = "machine-" + id, SecretHash = "", Os = "Debian GNU/Linux 12 (bookworm)", Arch = "x86_64" };
        edit?.Invoke(record);
        await using (var db = await Core<IDbContextFactory<SentinelDb>>().CreateDbContextAsync())
        {
            db.Nodes.Add(record);
            await db.SaveChangesAsync();
        }
        return Registry.Add(record);
    }

    /// <summary>
    /// Marks <paramref name="node"/> connected, with the capabilities its own config allows, and
    /// offers its latest sample. The session is never run: nothing is sent to a Node.
    /// </summary>
    public void Connect(NodeState node, MetricSample? latest = null, params string[] allowed)
    {
#pragma warning disable CA2000 // the session is never run and lives as long as this context's Core, which is disposed with it
        var socket = WebSocket.CreateFromStream(Stream.Null, new WebSocketCreationOptions { IsServer = true });
        var scopes = _core.Services.GetRequiredService<IServiceScopeFactory>();
        node.Allowed = new HashSet<string>(allowed, StringComparer.Ordinal);
        node.Attach(new NodeSession(node, socket, Core<SampleWriter>(), scopes, NullLogger.Instance, TimeProvider.System, []));
#pragma warning restore CA2000
        if (latest is not null) node.Offer(latest);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        await _circuit.DisposeAsync();
        await _core.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private sealed class SignedInUser : AuthenticationStateProvider
    {
        public ClaimsPrincipal Principal { get; set; } = new(new ClaimsIdentity());

        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(Principal));
    }
}

/// <summary>Gives each test its own <see cref="ComponentTestContext"/>, started before and removed after it.</summary>
public abstract class ComponentTest : IAsyncLifetime
{
    protected ComponentTestContext Ui { get; private set; } = null!;

    protected UiText T => Ui.T;

    public async Task InitializeAsync() => Ui = await ComponentTestContext.StartAsync();

    public async Task DisposeAsync() => await Ui.DisposeAsync();
}
