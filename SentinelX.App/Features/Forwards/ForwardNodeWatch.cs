using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Follows Nodes through <see cref="NodeRegistry.Changed"/>: a Node that said hello on a new
/// connection, or whose forward lock changed, gets its whole set again (on reconnect the Core's
/// set wins); a Node that went away has its placements shown as pending, "node offline".
/// </summary>
internal sealed class ForwardNodeWatch(NodeRegistry registry, ForwardLive live, ForwardPusher pusher, Action changed)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (NodeSession? Session, bool Ready, bool CoreLock, bool? NodeLock)> _seen = new(StringComparer.Ordinal);

    public void Start()
    {
        registry.Changed += OnNodeChanged;
        foreach (var node in registry.All) OnNodeChanged(node);
    }

    private void OnNodeChanged(NodeState node)
    {
        var session = node.Session;
        var key = (session, session?.HelloDone == true, node.Enabled.Contains(Capabilities.Forward), node.Allowed?.Contains(Capabilities.Forward));
        lock (_lock)
        {
            if (_seen.TryGetValue(node.Id, out var seen) && seen == key) return;
            _seen[node.Id] = key;
        }

        if (session is null)
        {
            if (live.SetNode(node.Id, ForwardStatuses.Pending, ForwardPusher.OfflineError)) changed();
            return;
        }

        if (!key.Item2) return;
        _ = Task.Run(async () =>
        {
            await pusher.SyncAsync(node.Id);
            changed();
        });
    }
}
