using SentinelX.App.Features.Nodes;
using SentinelX.App.Ui;

namespace SentinelX.App.Features.Dashboard;

/// <summary>The dashboard's live refresh: renders on Node changes and traffic refreshes, at most four a second.</summary>
public static class FleetRefresh
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public static LiveRefresh Create(NodeRegistry registry, TrafficMeter traffic, Func<Task> render, Action<Exception> failed) =>
        new(Interval, render, failed, poke =>
        {
            void OnNode(NodeState _) => poke();
            void OnTraffic(string _) => poke();
            registry.Changed += OnNode;
            traffic.Refreshed += OnTraffic;
            return () =>
            {
                registry.Changed -= OnNode;
                traffic.Refreshed -= OnTraffic;
            };
        });
}
