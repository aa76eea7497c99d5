using System.Collections.Concurrent;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Terminal;

/// <summary>One open web terminal: who opened it where, and the switch that ends it.</summary>
public sealed class TerminalSession(string id, string nodeId, string userId, long startedAt) : IDisposable
{
    private readonly CancellationTokenSource _end = new();
    private string? _endReason;

    public string Id { get; } = id;
    public string NodeId { get; } = nodeId;
    public string UserId { get; } = userId;

    /// <summary>Unix ms.</summary>
    public long StartedAt { get; } = startedAt;

    /// <summary>Fires when the Core ends the terminal (logout, idle, shutdown).</summary>
    public CancellationToken Ending => _end.Token;

    /// <summary>Why the Core ended it; null while it runs or when the user or the shell ended it.</summary>
    public string? EndReason => Volatile.Read(ref _endReason);

    /// <summary>Ends the terminal; the first reason given is the one recorded.</summary>
    public void End(string reason)
    {
        Interlocked.CompareExchange(ref _endReason, reason, null);
        try
        {
            _end.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _end.Dispose();
}

/// <summary>
/// The open web terminals, so they can be counted, and ended together when their user signs out
/// or when a lock closes on their Node (a terminal opened before must not outlive the switch).
/// </summary>
public sealed class TerminalSessions
{
    public const string Logout = "logout";
    public const string IdleTimeout = "idle timeout";
    public const string LockClosed = "shell turned off";
    public const string NodeRemoved = "node removed";

    private readonly ConcurrentDictionary<string, TerminalSession> _open = new(StringComparer.Ordinal);
    private readonly NodeRegistry _registry;

    public TerminalSessions(NodeRegistry registry)
    {
        _registry = registry;
        registry.Changed += OnNodeChanged;
    }

    public void Add(TerminalSession session) => _open[session.Id] = session;

    public void Remove(TerminalSession session) => _open.TryRemove(session.Id, out _);

    public int CountFor(string userId) => _open.Values.Count(s => s.UserId == userId);

    /// <summary>Ends every terminal <paramref name="userId"/> has open; returns how many.</summary>
    public int EndAllFor(string userId, string reason)
    {
        var ended = 0;
        foreach (var session in _open.Values)
        {
            if (session.UserId != userId) continue;
            session.End(reason);
            ended++;
        }

        return ended;
    }

    // Runs on every sample of every Node: nothing to do unless a terminal is open.
    private void OnNodeChanged(NodeState node)
    {
        if (_open.IsEmpty) return;
        var reason = _registry.Find(node.Id) is null ? NodeRemoved
            : !node.Enabled.Contains(Capabilities.Shell) || node.Allowed is { } allowed && !allowed.Contains(Capabilities.Shell) ? LockClosed
            : null;
        if (reason is null) return;
        foreach (var session in _open.Values)
        {
            if (session.NodeId == node.Id) session.End(reason);
        }
    }
}
