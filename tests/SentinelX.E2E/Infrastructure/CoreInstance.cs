using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace SentinelX.E2E.Infrastructure;

/// <summary>The real <c>sentinelx</c> binary with its own temp data directory and loopback port.</summary>
public sealed class CoreInstance : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private ManagedProcess? _process;
    private string? _bootstrapAdmin;

    public CoreInstance()
    {
        DataDir = Directory.CreateTempSubdirectory("sentinelx-core-").FullName;
        Port = FreePorts.Tcp();
        Http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string DataDir { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public HttpClient Http { get; }
    public string Output => _process?.Output ?? "";
    public ManagedProcess Process => _process ?? throw new InvalidOperationException("core not started");

    /// <summary>Extra SENTINELX_* settings for the process.</summary>
    public Dictionary<string, string> Environment { get; } = new();

    public async Task StartAsync()
    {
        _process = ManagedProcess.Start(Binaries.Core, ["serve", "--data", DataDir, "--urls", Url], DataDir, Environment);
        var deadline = DateTime.UtcNow.AddSeconds(90); // generous: a loaded CI machine starts the Core slowly
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException("core exited during start:\n" + _process.Output);
            try
            {
                using var response = await Http.GetAsync("/api/v1/health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        // Do not leave it running behind the failed test: a stray Core holds CPU and its port.
        var output = _process.Output;
        await KillAsync();
        throw new TimeoutException("core did not become healthy:\n" + output);
    }

    public async Task StopAsync()
    {
        if (_process is null) return;
        await _process.StopAsync();
        await _process.DisposeAsync();
        _process = null;
    }

    public async Task KillAsync()
    {
        if (_process is null) return;
        await _process.KillAsync();
        await _process.DisposeAsync();
        _process = null;
    }

    /// <summary>Runs a <c>sentinelx</c> CLI command against this data directory; returns exit code, stdout, stderr.</summary>
    public async Task<(int Code, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(Binaries.Core)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = DataDir,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--data");
        info.ArgumentList.Add(DataDir);
        foreach (var (k, v) in Environment) info.Environment[k] = v;
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    public async Task<string> EnrollmentKeyAsync()
    {
        var (code, stdout, stderr) = await CliAsync("key", "show");
        if (code != 0) throw new InvalidOperationException("key show failed: " + stderr);
        return stdout.Trim();
    }

    /// <summary>
    /// Returns an HttpClient that sends a new token of <paramref name="role"/>. The first admin token
    /// comes from the CLI, as it does for a user; further tokens are created through the API with it
    /// while the Core runs, which saves starting a CLI process (about 2 s) for each.
    /// </summary>
    public async Task<HttpClient> ClientAsync(string role = "admin")
    {
        var secret = _process is not null && _bootstrapAdmin is not null ? await ApiTokenAsync(_bootstrapAdmin, role) : null;
        if (secret is null)
        {
            var (code, stdout, stderr) = await CliAsync("token", "create", "--name", "test-" + role, "--role", role);
            if (code != 0) throw new InvalidOperationException("token create failed: " + stderr);
            secret = stdout.Trim();
            if (role == "admin") _bootstrapAdmin ??= secret;
        }

        var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    /// <summary><c>POST /api/v1/tokens</c> with <paramref name="admin"/>; null when that token no longer works.</summary>
    private async Task<string?> ApiTokenAsync(string admin, string role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tokens")
        {
            Content = JsonContent.Create(new { name = "test-" + role, role }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        using var response = await Http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.Unauthorized) return null;
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new HttpRequestException($"POST /api/v1/tokens: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString();
    }

    public NodeInstance NewNode(string name) => new(this, name);

    /// <summary>
    /// Starts a Node, waits until it is online with its allow list reported, and returns its id.
    /// A Node allows nothing but monitoring unless told: one started without <c>--allow</c> or
    /// <c>--monitor-only</c> is given <c>--allow</c> with exactly the capabilities <paramref name="enable"/> turns on.
    /// </summary>
    public async Task<string> StartOnlineNodeAsync(NodeInstance node, HttpClient admin, params string[] enable)
    {
        if (enable.Length > 0 && !node.ExtraArgs.Any(a => a is "--allow" or "--monitor-only" || a.StartsWith("--allow=", StringComparison.Ordinal)))
            node.ExtraArgs.AddRange(["--allow", string.Join(',', enable)]);
        await node.StartAsync();
        var id = await Eventually.ValueAsync(async () =>
        {
            var nodes = await GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes");
            return nodes.FirstOrDefault(n => n.Name == node.Name && n.Online)?.Id;
        }, TimeSpan.FromSeconds(30), "node " + node.Name + " online: " + node.Output);
        await Eventually.ValueAsync(async () =>
        {
            var view = await GetJsonAsync<CapabilitiesView>(admin, $"/api/v1/nodes/{id}/capabilities");
            return view.Capabilities.All(c => c.AllowedByNode is not null) ? view : null;
        }, TimeSpan.FromSeconds(30), "allow list reported");
        if (enable.Length > 0) await SetCapabilitiesAsync(admin, id, enable.ToDictionary(c => c, _ => true));
        return id;
    }

    /// <summary><c>PUT /api/v1/nodes/{id}/capabilities</c>; throws unless it succeeds.</summary>
    public static async Task<CapabilitiesView> SetCapabilitiesAsync(HttpClient admin, string nodeId, IReadOnlyDictionary<string, bool> changes)
    {
        using var response = await admin.PutAsJsonAsync($"/api/v1/nodes/{nodeId}/capabilities", changes, Json);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new HttpRequestException($"PUT capabilities: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<CapabilitiesView>(body, Json)!;
    }

    /// <summary>Reads the SQLite database directly (read-only), e.g. to check what was stored.</summary>
    public SqliteConnection OpenDatabase()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(DataDir, "sentinelx.db")};Mode=ReadOnly");
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

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
