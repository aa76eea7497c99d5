using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.RemoteAccess;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Files;

/// <summary>
/// What the API and the Files tab share: both locks are checked before anything goes to the Node,
/// and every change (and every refusal of one) lands in the audit log. The caller checks the role.
/// </summary>
public sealed class FilesService(FilesClient client, AuditLog audit)
{
    public FilesClient Client => client;

    /// <summary>
    /// Runs <paramref name="operation"/> when the capability is usable. With an <paramref name="action"/>
    /// the outcome is recorded: ok (with <paramref name="detail"/>), refused (a lock or a 403) or failed.
    /// </summary>
    public async Task<NodeResult<T>> RunAsync<T>(NodeState node, AuditActor actor, string? action, string target,
        Func<FilesClient, Task<NodeResult<T>>> operation, Func<T, string?>? detail = null)
    {
        if (CapabilityLocks.Check(node, Capabilities.Files) is { } refusal)
        {
            if (action is not null) await audit.RecordAsync(actor, action, node.Id, target, AuditResults.Refused, refusal.Detail);
            return refusal;
        }

        var result = await operation(client);
        if (action is null) return result;
        if (result.Succeeded)
            await audit.RecordAsync(actor, action, node.Id, target, AuditResults.Ok, detail?.Invoke(result.Value));
        else
            await audit.RecordAsync(actor, action, node.Id, target, result.Failure.Status == StatusCodes.Status403Forbidden ? AuditResults.Refused : AuditResults.Failed, result.Failure.Detail);
        return result;
    }

    /// <summary>Records a transfer that was accepted but broke on the way.</summary>
    public Task RecordBrokenAsync(NodeState node, AuditActor actor, string action, string target, string reason) =>
        audit.RecordAsync(actor, action, node.Id, target, AuditResults.Failed, reason);
}
