using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Node.Probes;

/// <summary>
/// <c>probe.sync</c> hands the Core's probe set to the agent-wide <see cref="ProbeRunner"/>. Probing
/// is monitoring, not a capability: no allow-list entry is needed, only the Node's own <c>probes</c>
/// switch can turn it off. A set with any invalid probe is refused whole and the old set keeps running.
/// </summary>
internal sealed class ProbeFeature(ProbeRunner runner) : INodeFeature
{
    public void Register(JsonRpcMethods methods, SessionContext session) =>
        methods.OnRequest(Methods.ProbeSync, ProtocolJsonContext.Default.ProbeSyncParams, ProtocolJsonContext.Default.ProbeSyncResult, (request, _) =>
        {
            if (ProbeValidation.Validate(request) is { } error) throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, error);
            return ValueTask.FromResult(runner.Apply(request));
        });
}
