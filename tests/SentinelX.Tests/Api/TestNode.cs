using SentinelX.Node;
using SentinelX.Node.Config;
using SentinelX.Node.Connection;

namespace SentinelX.Tests.Api;

/// <summary>
/// The real Node agent run in this process against a <see cref="CoreApp"/>. It is enrolled over
/// HTTP with a machine id of its own first: every agent in this process would otherwise report
/// this machine's id (see <see cref="CoreApp.EnrollAsync(string)"/>).
/// </summary>
internal sealed class TestNode : IAsyncDisposable
{
    /// <summary>What an owner passes to let forwards reach services on the server itself.</summary>
    public static readonly ForwardTargetRules AllowLoopback = new() { Allow = [System.Net.IPNetwork.Parse("127.0.0.0/8"), System.Net.IPNetwork.Parse("::1/128")] };

    private readonly CoreApp _core;
    private readonly NodeSettings _settings;
    private CancellationTokenSource? _stop;
    private Task? _running;

    private TestNode(CoreApp core, NodeSettings settings, string id)
    {
        _core = core;
        _settings = settings;
        Id = id;
    }

    public string Id { get; }
    public string Name => _settings.Name!;

    /// <summary>Enrolls a Node named <paramref name="name"/> that allows <paramref name="allow"/>, starts it and waits until it is online with its allow list reported.</summary>
    public static async Task<TestNode> StartOnlineAsync(CoreApp core, HttpClient admin, string name, IEnumerable<string> allow, ForwardTargetRules? targets = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("sx-node-").FullName;
        var enrolled = await core.EnrollAsync(name);
        new NodeIdentity { NodeId = enrolled.NodeId, Secret = enrolled.Secret, Core = core.Url.ToString() }.Save(dataDir);

        var settings = new NodeSettings
        {
            Core = core.Url, Name = name, DataDir = dataDir, SampleIntervalMs = 1000,
            Allow = allow.ToHashSet(StringComparer.Ordinal), ForwardTargets = targets ?? new(),
        };
        var node = new TestNode(core, settings, enrolled.NodeId);
        await node.StartAsync(admin);
        return node;
    }

    /// <summary>Starts the agent (again) and waits until the Core sees it online with its allow list.</summary>
    public async Task StartAsync(HttpClient admin)
    {
        _stop = new CancellationTokenSource();
        var agent = new NodeAgent(_settings, "test", new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500)));
        _running = Task.Run(() => agent.RunAsync(_stop.Token), CancellationToken.None);
        await Eventually.ValueAsync(async () =>
        {
            if (_running.IsCompleted) await _running; // an agent that stopped by itself says why
            var nodes = await CoreApp.GetJsonAsync<List<NodeView>>(admin, "/api/v1/nodes");
            if (!nodes.Any(n => n.Id == Id && n.Online)) return null;
            var view = await CoreApp.GetJsonAsync<CapabilitiesView>(admin, $"/api/v1/nodes/{Id}/capabilities");
            return view.Capabilities.All(c => c.AllowedByNode is not null) ? view : null;
        }, $"node {Name} online with its allow list reported");
    }

    /// <summary>Stops the agent the way SIGTERM does.</summary>
    public async Task StopAsync()
    {
        if (_stop is null || _running is null) return;
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
        (_stop, _running) = (null, null);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_settings.DataDir, recursive: true);
    }
}
