namespace SentinelX.E2E.Infrastructure;

/// <summary>
/// The real <c>sentinelx-node</c> binary. Each instance gets its own machine id, so several Nodes
/// on this one machine are distinct servers to the Core.
/// </summary>
public sealed class NodeInstance : IAsyncDisposable
{
    private readonly CoreInstance _core;
    private ManagedProcess? _process;

    public NodeInstance(CoreInstance core, string name)
    {
        _core = core;
        Name = name;
        DataDir = Directory.CreateTempSubdirectory("sentinelx-node-").FullName;
        MachineId = Guid.NewGuid().ToString("N");
    }

    public string Name { get; }
    public string DataDir { get; }
    public string MachineId { get; set; }
    public string Output => _process?.Output ?? "";
    public ManagedProcess Process => _process ?? throw new InvalidOperationException("node not started");

    /// <summary>More words for <c>run</c>, e.g. <c>["--allow", "exec"]</c> or <c>["--config", path]</c>.</summary>
    public List<string> ExtraArgs { get; } = [];

    /// <summary>More environment variables for the Node process.</summary>
    public Dictionary<string, string> Environment { get; } = new();

    public async Task StartAsync(string? key = null)
    {
        key ??= await _core.EnrollmentKeyAsync();
        var environment = new Dictionary<string, string>(Environment) { ["SENTINELX_NODE_MACHINE_ID"] = MachineId };
        _process = ManagedProcess.Start(Binaries.Node,
            ["run", "--core", _core.Url, "--key", key, "--name", Name, "--data", DataDir, "--interval-ms", "1000", .. ExtraArgs],
            DataDir,
            environment);
    }

    public async Task<int> StopAsync()
    {
        if (_process is null) return 0;
        var code = await _process.StopAsync();
        await _process.DisposeAsync();
        _process = null;
        return code;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
