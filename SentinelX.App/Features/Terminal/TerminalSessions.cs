using System.Collections.Concurrent;

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
/// The open web terminals, so they can be counted, and ended together when their user signs out.
/// </summary>
public sealed class TerminalSessions
{
    public const string Logout = "logout";
    public const string IdleTimeout = "idle timeout";

    private readonly ConcurrentDictionary<string, TerminalSession> _open = new(StringComparer.Ordinal);

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
}
