using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Processes;

/// <summary>
/// <see cref="Methods.ProcessTop"/>: the live process list of the Node page. It is monitoring, like the
/// samples every Node sends, not a capability: there is no <see cref="SessionContext.Demand"/> here,
/// and a Node started with <c>--monitor-only</c> answers it too.
/// </summary>
internal sealed class ProcessFeature(ProcessSampler sampler) : INodeFeature
{
    public ProcessFeature() : this(new ProcessSampler())
    {
    }

    public void Register(JsonRpcMethods methods, SessionContext session) =>
        methods.OnRequest(Methods.ProcessTop, ProtocolJsonContext.Default.ProcessTopParams, ProtocolJsonContext.Default.ProcessTopResult, (p, ct) =>
        {
            // The Core checked too; the Node never trusts that it did.
            if (ProcessNames.Validate(p.Top, p.Sort) is { } error) throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, error);
            return new ValueTask<ProcessTopResult>(sampler.TopAsync(p.Top, p.Sort, ct));
        });
}
