using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SentinelX.App;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Jobs;
using SentinelX.App.Features.Keys;
using SentinelX.Shared.Protocol;
using Xunit;

using SentinelX.Tests.Hosting;

namespace SentinelX.Tests.Api;

/// <summary>
/// The Core as <c>sentinelx serve</c> builds it (<see cref="CoreHost"/>), run in this process on a
/// random loopback port with SQLite in a temp data directory. API tokens come from the app's own
/// <see cref="TokenService"/>; log lines are kept for tests that check what the Core logs.
/// </summary>
public sealed class CoreApp : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private WebApplication? _app;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("sx-core-").FullName;
    public Uri Url { get; private set; } = null!;
    public int Port => Url.Port;

    /// <summary>A client without credentials.</summary>
    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("core not started");

    /// <summary>Everything the Core logged so far, one line per entry.</summary>
    public string Output => string.Join('\n', Services.GetFakeLogCollector().GetSnapshot().Select(r => $"{r.Level} {r.Category}: {r.Message} {r.Exception?.Message}"));

    public async Task InitializeAsync()
    {
        _app = await InProcessCore.CreateAsync(DataDir, ForTests);
        await _app.StartAsync();
        Url = new Uri(_app.Urls.Single());
        Http = Client(null);
    }

    /// <summary>
    /// Logs go to a collector instead of the console, and the periodic jobs (rollups, retention,
    /// SQLite maintenance) stay off: they would write to the database behind a test's back on their
    /// own schedule. Everything a request or a Node session starts still runs.
    /// </summary>
    private static void ForTests(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddFakeLogging();
        var jobs = builder.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(PeriodicJobRunner));
        builder.Services.Remove(jobs);
    }

    public string EnrollmentKey => Services.GetRequiredService<CoreKeyStore>().GetOrCreate();

    /// <summary>
    /// Enrolls a Node named <paramref name="name"/> with the fleet key as a Node would. Each gets a
    /// machine id of its own: the Core sends a second Node with a known machine id to an administrator.
    /// </summary>
    public async Task<EnrollResponse> EnrollAsync(string name)
    {
        using var response = await EnrollAsync(EnrollmentKey, new EnrollRequest
        {
            MachineId = "test-" + Guid.NewGuid().ToString("N"), Name = name, Hostname = name, ProtocolVersion = ProtocolInfo.Version, AgentVersion = "test",
        });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new HttpRequestException($"enroll {name}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.EnrollResponse)!;
    }

    /// <summary><c>POST /api/v1/node/enroll</c> with <paramref name="key"/> and any body, hostile ones included.</summary>
    public async Task<HttpResponseMessage> EnrollAsync<T>(string key, T body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolInfo.EnrollPath) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await Http.SendAsync(request);
    }

    /// <summary>Creates a token named <c>test-{role}</c> through the token service and returns a client that sends it.</summary>
    public async Task<HttpClient> ClientAsync(string role = "admin")
    {
        await using var scope = Services.CreateAsyncScope();
        var (_, secret) = await scope.ServiceProvider.GetRequiredService<TokenService>().CreateAsync("test-" + role, role, null, CancellationToken.None);
        return Client(secret);
    }

    /// <summary>A client that sends <paramref name="bearer"/> (none when null).</summary>
    public HttpClient Client(string? bearer)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>Reads the SQLite database directly (read-only), e.g. to check what was stored.</summary>
    public SqliteConnection OpenDatabase()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "sentinelx.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return connection;
    }

    public static async Task<T> GetJsonAsync<T>(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public static Task<HttpResponseMessage> PostJsonAsync<T>(HttpClient client, string path, T body) =>
        client.PostAsJsonAsync(path, body, Json);

    /// <summary><c>PUT /api/v1/nodes/{id}/capabilities</c>; throws unless it succeeds.</summary>
    public static async Task<CapabilitiesView> SetCapabilitiesAsync(HttpClient admin, string nodeId, IReadOnlyDictionary<string, bool> changes)
    {
        using var response = await admin.PutAsJsonAsync($"/api/v1/nodes/{nodeId}/capabilities", changes, Json);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new HttpRequestException($"PUT capabilities: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<CapabilitiesView>(body, Json)!;
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Directory.Delete(DataDir, recursive: true);
    }
}
