using System.Threading.Channels;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Alerts.Channels;
using Xunit;
using static SentinelX.Tests.Alerts.Channels.ChannelTestKit;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>
/// Deliveries run in the background with retries on a virtual clock: the test sees each retry wait
/// being set (<see cref="RetryClock"/>) and moves time past it, so backoffs of a minute take no time.
/// </summary>
public sealed class NotificationDispatcherTests
{
    [Fact]
    public async Task Two_failures_then_success_is_one_recorded_success_after_three_attempts()
    {
        var clock = new RetryClock();
        var log = new DeliveryLog();
        await using var hook = await Receiver.StartAsync((_, n) => n <= 2 ? new Answer(500, "boom", "text/plain") : new Answer(200));
        await using var services = Services(clock, log);
        var dispatcher = await StartAsync(services);

        dispatcher.Enqueue(new AlertDelivery(11, "ch-1", Config("webhook", $$"""{"url":"{{hook.At()}}"}"""), Firing())).Should().BeTrue();

        await hook.NextAsync();
        await clock.PassNextWaitAsync(TimeSpan.FromSeconds(2));
        await hook.NextAsync();
        await clock.PassNextWaitAsync(TimeSpan.FromSeconds(10));
        await hook.NextAsync();
        var (eventId, channelId, result) = await log.NextAsync();
        (eventId, channelId, result.Ok, result.Attempts, result.Error).Should().Be((11L, "ch-1", true, 3, (string?)null));
        result.At.Should().Be(clock.GetUtcNow());
        await dispatcher.StopAsync(CancellationToken.None);
        hook.Count.Should().Be(3);
        log.Pending.Should().Be(0);
    }

    [Fact]
    public async Task A_service_that_always_fails_is_one_recorded_failure_with_the_reason()
    {
        var clock = new RetryClock();
        var log = new DeliveryLog();
        await using var hook = await Receiver.StartAsync((_, _) => new Answer(503, "down for maintenance", "text/plain"));
        await using var services = Services(clock, log);
        var dispatcher = await StartAsync(services);

        dispatcher.Enqueue(new AlertDelivery(12, "ch-2", Config("gotify", $$"""{"server":"{{hook.At()}}","token":"t0k3n"}"""), Firing()));

        await hook.NextAsync();
        foreach (var wait in new[] { 2, 10, 60 })
        {
            await clock.PassNextWaitAsync(TimeSpan.FromSeconds(wait));
            await hook.NextAsync();
        }
        var (eventId, _, result) = await log.NextAsync();
        (eventId, result.Ok, result.Attempts).Should().Be((12L, false, 4));
        result.Error.Should().Be("HTTP 503 Service Unavailable: down for maintenance");
        await dispatcher.StopAsync(CancellationToken.None);
        hook.Count.Should().Be(4);
        log.Pending.Should().Be(0);
    }

    [Theory]
    [InlineData(400, """{"errcode":0}""")]
    [InlineData(200, """{"errcode":93000,"errmsg":"invalid webhook url"}""")]
    public async Task A_failure_another_try_cannot_cure_is_recorded_after_one_attempt(int status, string body)
    {
        var clock = new RetryClock();
        var log = new DeliveryLog();
        await using var wecom = await Receiver.StartAsync((_, _) => new Answer(status, body));
        await using var services = Services(clock, log);
        var dispatcher = await StartAsync(services);

        dispatcher.Enqueue(new AlertDelivery(13, "ch-3", Config("wecom", $$"""{"key":"k-1","apiBase":"{{wecom.At()}}"}"""), Firing()));

        var (_, _, result) = await log.NextAsync();
        (result.Ok, result.Attempts).Should().Be((false, 1));
        result.Error.Should().NotBeNullOrEmpty();
        clock.WaitsSet.Should().Be(0);
        await dispatcher.StopAsync(CancellationToken.None);
        wecom.Count.Should().Be(1);
    }

    [Fact]
    public async Task A_full_queue_drops_at_once_and_records_the_drop()
    {
        var log = new DeliveryLog();
        await using var services = Services(recorder: log, settings: new NotificationDispatcherSettings { QueueCapacity = 1 });
        // Not started: nothing drains the queue.
        var dispatcher = services.GetRequiredService<NotificationDispatcher>();
        var config = Config("discord", """{"webhookUrl":"https://discord.example/api/webhooks/1/x"}""");

        dispatcher.Enqueue(new AlertDelivery(1, "ch-1", config, Firing())).Should().BeTrue();
        dispatcher.Enqueue(new AlertDelivery(2, "ch-1", config, Firing())).Should().BeFalse();

        var (eventId, _, result) = await log.NextAsync();
        (eventId, result.Ok, result.Attempts, result.Error).Should().Be((2L, false, 0, "not sent: too many notifications waiting"));
        dispatcher.QueueLength.Should().Be(1);
    }

    [Fact]
    public async Task Deliveries_still_queued_at_shutdown_are_recorded_as_not_sent()
    {
        var log = new DeliveryLog();
        await using var services = Services(recorder: log);
        var dispatcher = services.GetRequiredService<NotificationDispatcher>();
        var config = Config("discord", """{"webhookUrl":"http://127.0.0.1:9/api/webhooks/1/x"}""");
        dispatcher.Enqueue(new AlertDelivery(5, "ch-5", config, Firing()));

        await dispatcher.StartAsync(CancellationToken.None);
        await dispatcher.StopAsync(CancellationToken.None);

        var (eventId, _, result) = await log.NextAsync();
        eventId.Should().Be(5);
        result.Ok.Should().BeFalse();
        result.Error.Should().StartWith("not sent: the Core stopped");
    }

    [Fact]
    public async Task Send_test_makes_one_attempt_now_and_records_nothing()
    {
        var log = new DeliveryLog();
        await using var ntfy = await Receiver.StartAsync();
        await using var services = Services(recorder: log);
        var dispatcher = services.GetRequiredService<NotificationDispatcher>();

        var result = await dispatcher.SendTestAsync(Config("ntfy", $$"""{"server":"{{ntfy.At()}}","topic":"t"}"""), "zh-CN", CancellationToken.None);

        result.Ok.Should().BeTrue();
        (await ntfy.NextAsync()).Json.GetProperty("title").GetString().Should().Be("【测试】【告警】example-node：CPU usage");
        log.Pending.Should().Be(0);
    }

    [Fact]
    public async Task Send_test_reports_the_failure()
    {
        await using var telegram = await Receiver.StartAsync((_, _) => new Answer(400, """{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"""));
        await using var services = Services();
        var dispatcher = services.GetRequiredService<NotificationDispatcher>();
        var config = Config("telegram", $$"""{"botToken":"1:AAbbCCddEEffGGhhIIjjKKll","chatId":"7","apiBase":"{{telegram.At()}}"}""");

        var result = await dispatcher.SendTestAsync(config, "en", CancellationToken.None);

        (result.Ok, result.Error, result.Attempts).Should().Be((false, "Telegram error 400: Bad Request: chat not found", 1));
    }

    private static async Task<NotificationDispatcher> StartAsync(IServiceProvider services)
    {
        var dispatcher = services.GetRequiredService<NotificationDispatcher>();
        await dispatcher.StartAsync(CancellationToken.None);
        return dispatcher;
    }

    /// <summary>A <see cref="FakeTimeProvider"/> that tells when a wait is set, so a test advances time only once the dispatcher waits.</summary>
    private sealed class RetryClock : TimeProvider
    {
        private readonly FakeTimeProvider _time = new(Started);
        private readonly Channel<TimeSpan> _waits = Channel.CreateUnbounded<TimeSpan>();

        public int WaitsSet { get; private set; }

        public override DateTimeOffset GetUtcNow() => _time.GetUtcNow();
        public override long GetTimestamp() => _time.GetTimestamp();
        public override long TimestampFrequency => _time.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = _time.CreateTimer(callback, state, dueTime, period);
            WaitsSet++;
            _waits.Writer.TryWrite(dueTime);
            return timer;
        }

        /// <summary>Waits for the dispatcher to set its next wait, checks its length, and lets exactly that much time pass.</summary>
        public async Task PassNextWaitAsync(TimeSpan expected)
        {
            var due = await _waits.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            due.Should().Be(expected);
            _time.Advance(due);
        }
    }
}
