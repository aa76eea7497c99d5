using SentinelX.App.Features.Audit;

namespace SentinelX.App.Features.Forwards;

/// <summary>Forwarding rules: validation, storage, pushing them to their Nodes and collecting their counters.</summary>
public sealed class ForwardService
{
    /// <summary>Raised when any rule, status or counter changed (about every few seconds while traffic flows).</summary>
    public event Action? Changed;

    public Task<IReadOnlyList<ForwardView>> ListAsync(CancellationToken ct = default) => throw new NotImplementedException();

    public Task<ForwardView?> GetAsync(string id, CancellationToken ct = default) => throw new NotImplementedException();

    public Task<(ForwardView? View, ForwardProblem? Problem)> CreateAsync(ForwardInput input, AuditActor actor, CancellationToken ct = default) =>
        throw new NotImplementedException();

    public Task<(ForwardView? View, ForwardProblem? Problem)> UpdateAsync(string id, ForwardInput input, AuditActor actor, CancellationToken ct = default) =>
        throw new NotImplementedException();

    public Task<ForwardProblem?> DeleteAsync(string id, AuditActor actor, CancellationToken ct = default) => throw new NotImplementedException();

    /// <summary>Traffic of the last <paramref name="range"/> in buckets sized for about 300 points.</summary>
    public Task<ForwardHistory?> HistoryAsync(string id, TimeSpan range, CancellationToken ct = default) => throw new NotImplementedException();

    /// <summary>Up to <paramref name="count"/> monthly totals, newest first.</summary>
    public Task<IReadOnlyList<ForwardMonth>> MonthsAsync(string id, int count, CancellationToken ct = default) => throw new NotImplementedException();

    private void OnChanged() => Changed?.Invoke();
}
