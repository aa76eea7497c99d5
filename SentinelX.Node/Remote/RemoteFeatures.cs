using SentinelX.Node.Config;

namespace SentinelX.Node.Remote;

/// <summary>The list of features the agent serves; one line per capability.</summary>
internal static class RemoteFeatures
{
    public static IReadOnlyList<INodeFeature> Create(NodeSettings settings) =>
    [
        new ExecFeature(),
        new FilesFeature(settings),
        new DockerFeature(settings.DockerSocket),
        new ShellFeature(),
    ];
}
