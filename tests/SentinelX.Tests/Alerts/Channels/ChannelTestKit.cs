using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using SentinelX.App.Features.Alerts.Channels;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>Configs parsed the way the API parses them, sample alerts, and the channel services as <c>AddAlertChannels</c> wires them.</summary>
internal static class ChannelTestKit
{
    public static readonly DateTimeOffset Started = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);

    public static ChannelConfig Config(string type, string json)
    {
        var result = ChannelConfigParser.Parse(type, JsonDocument.Parse(json).RootElement);
        result.Errors.Should().BeEmpty();
        return result.Config!;
    }

    public static IDictionary<string, string[]> Errors(string type, string json) =>
        ChannelConfigParser.Parse(type, JsonDocument.Parse(json).RootElement).Errors;

    public static AlertNotification Firing(string language = "en") => new()
    {
        State = AlertState.Firing,
        RuleName = "CPU high",
        RuleId = "rule-7",
        NodeName = "web-1",
        NodeId = "node-42",
        Severity = AlertSeverity.Critical,
        Value = 93.2,
        Threshold = 80,
        Message = "CPU 93.2 % > 80 % for 30 s",
        StartedAt = Started,
        Language = language,
    };

    public static AlertNotification Resolved(string language = "en") => Firing(language) with
    {
        State = AlertState.Resolved,
        Value = 41.5,
        ResolvedAt = Started.AddMinutes(5).AddSeconds(3),
    };

    public static ServiceProvider Services(TimeProvider? time = null, IDeliveryRecorder? recorder = null, NotificationDispatcherSettings? settings = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (time is not null) services.AddSingleton(time);
        services.AddSingleton<IDeliveryRecorder>(recorder ?? new DeliveryLog());
        if (settings is not null) services.AddSingleton(settings);
        services.AddAlertChannels();
        return services.BuildServiceProvider();
    }

    /// <summary>Sends one attempt through the real sender and HTTP client.</summary>
    public static async Task<DeliveryResult> SendAsync(ChannelConfig config, AlertNotification notification, TimeProvider? time = null)
    {
        await using var services = Services(time);
        return await services.GetRequiredService<ChannelSender>().SendAsync(config, notification, CancellationToken.None);
    }
}

/// <summary>An <see cref="IDeliveryRecorder"/> that keeps what it is told, and lets a test wait for it.</summary>
internal sealed class DeliveryLog : IDeliveryRecorder
{
    private readonly System.Threading.Channels.Channel<(long EventId, string ChannelId, DeliveryResult Result)> _records =
        System.Threading.Channels.Channel.CreateUnbounded<(long, string, DeliveryResult)>();

    public Task RecordAsync(long eventId, string channelId, DeliveryResult result, CancellationToken ct) =>
        _records.Writer.WriteAsync((eventId, channelId, result), ct).AsTask();

    public async Task<(long EventId, string ChannelId, DeliveryResult Result)> NextAsync() =>
        await _records.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public int Pending => _records.Reader.Count;
}
