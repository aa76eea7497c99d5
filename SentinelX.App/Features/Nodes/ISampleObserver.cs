using SentinelX.Shared.Metrics;

namespace SentinelX.App.Features.Nodes;

/// <summary>
/// Sees every valid sample batch as it arrives, before it is stored (alert rules). Runs on the
/// session's receive loop: it must be quick and must not wait on anything.
/// </summary>
public interface ISampleObserver
{
    void OnSamples(NodeState node, IReadOnlyList<MetricSample> samples);
}
