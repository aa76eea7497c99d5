using SentinelX.App.Ui;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Live reloads for the forwarding pages: <see cref="ForwardService.Changed"/> fires on every stats
/// report of every Node, so pages reload at most twice a second (see <see cref="LiveRefresh"/>).
/// </summary>
public static class ForwardLiveRefresh
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);

    public static LiveRefresh Create(ForwardService forwards, Func<Task> reload, Action<Exception> failed) =>
        new(MinInterval, reload, failed, poke =>
        {
            forwards.Changed += poke;
            return () => forwards.Changed -= poke;
        });
}
