using System.Diagnostics.CodeAnalysis;
using SentinelX.Node.Config;
using SentinelX.Node.Forwarding;
using SentinelX.Node.Processes;
using SentinelX.Node.Probes;

namespace SentinelX.Node.Remote;

/// <summary>The list of features the agent serves; one line per capability.</summary>
internal static class RemoteFeatures
{
    [SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope",
        Justification = "The features live as long as the agent: the Docker client's idle connections close with the process.")]
    public static IReadOnlyList<INodeFeature> Create(NodeSettings settings, ForwardEngine forwards, ProbeRunner probes) =>
    [
        new ExecFeature(),
        new FilesFeature(settings),
        new DockerFeature(settings.DockerSocket),
        new ShellFeature(),
        new ForwardFeature(forwards),
        new ProcessFeature(),
        new ProbeFeature(probes),
    ];
}
