using Xunit;

namespace SentinelX.Tests.Node.Probes;

/// <summary>A test that needs programs on PATH (and, with <see cref="Root"/>, root for network namespaces); skipped with the reason where they are missing.</summary>
internal sealed class ToolFactAttribute : FactAttribute
{
    private readonly bool _root;

    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !OnPath(t)).ToList();
        if (missing.Count > 0) Skip = $"{string.Join(", ", missing)} not installed (tests/run.sh installs it as root)";
    }

    /// <summary>Needs root: network namespaces, tc, raw sockets.</summary>
    public bool Root
    {
        get => _root;
        init
        {
            _root = value;
            if (value && Skip is null && !Environment.IsPrivilegedProcess) Skip = "needs root (network namespaces)";
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, tool)));
}
