using SentinelX.Node.Config;
using SentinelX.Node.Forwarding;

namespace SentinelX.Node.Remote;

/// <summary>The list of features the agent serves; one line per capability.</summary>
internal static class RemoteFeatures
{
    public static IReadOnlyList<INodeFeature> Create(NodeSettings settings, ForwardEngine forwards) =>
    [
        new ExecFeature(),
        new FilesFeature(settings),
        new DockerFeature(settings.DockerSocket),
        new ShellFeature(),
        new ForwardFeature(forwards),
    ];
}
