namespace SentinelX.E2E.Infrastructure;

/// <summary>Finds the published binaries the tests run (tests/run.sh publishes them first).</summary>
public static class Binaries
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Core => Find("SENTINELX_CORE_BIN", Path.Combine(RepoRoot, "artifacts", "core", "sentinelx"));

    public static string Node => Find("SENTINELX_NODE_BIN", NodeFor("linux-x64"));

    /// <summary>Where <c>packaging/build-node.sh --rid RID</c> puts the Node (it may not have been built).</summary>
    public static string NodeFor(string rid) => Path.Combine(RepoRoot, "artifacts", "node", rid, "sentinelx-node");

    private static string Find(string variable, string fallback)
    {
        var path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } set ? set : fallback;
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: run tests/run.sh (it publishes the Core and the Node), or set {variable}");
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SentinelX.sln"))) return dir.FullName;
        }

        throw new DirectoryNotFoundException("cannot find SentinelX.sln above " + AppContext.BaseDirectory);
    }
}
