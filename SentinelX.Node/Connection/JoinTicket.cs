using System.Text.Json;
using SentinelX.Node.Config;

namespace SentinelX.Node.Connection;

/// <summary>
/// A join request this Node is waiting on (<c>DATA/join.json</c>, mode 0600): kept across restarts so
/// a restarted Node keeps polling the same request instead of filing a new one, and so a rejected
/// Node stays stopped until its owner deletes the file.
/// </summary>
internal sealed record JoinTicket
{
    public const string FileName = "join.json";

    public required string RequestId { get; init; }
    public required string Ticket { get; init; }

    /// <summary>The Core the request was filed with; another Core means enrolling afresh.</summary>
    public required string Core { get; init; }

    /// <summary>Set when an administrator rejected the request: the Node asks nothing more.</summary>
    public bool Rejected { get; init; }

    public static string PathIn(string dataDir) => Path.Combine(dataDir, FileName);

    public static JoinTicket? Load(string dataDir) =>
        NodeFiles.ReadJson(PathIn(dataDir), NodeJsonContext.Default.JoinTicket, "asking the Core anew") is { RequestId.Length: > 0, Ticket.Length: > 0 } ticket ? ticket : null;

    public void Save(string dataDir) => NodeFiles.WriteSecret(PathIn(dataDir), JsonSerializer.SerializeToUtf8Bytes(this, NodeJsonContext.Default.JoinTicket));

    public static void Delete(string dataDir) => File.Delete(PathIn(dataDir));
}
