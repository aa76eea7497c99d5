using System.Text.Json.Serialization;

namespace SentinelX.App.Features.Alerts.Channels;

[JsonConverter(typeof(JsonStringEnumConverter<AlertState>))]
public enum AlertState
{
    [JsonStringEnumMemberName("firing")] Firing,
    [JsonStringEnumMemberName("resolved")] Resolved,
}

[JsonConverter(typeof(JsonStringEnumConverter<AlertSeverity>))]
public enum AlertSeverity
{
    [JsonStringEnumMemberName("info")] Info,
    [JsonStringEnumMemberName("warning")] Warning,
    [JsonStringEnumMemberName("critical")] Critical,
}

/// <summary>
/// One thing to tell people about: a rule that started firing on a node, or stopped. Channels render
/// it in <see cref="Language"/> ("en" or "zh-CN"), chosen by whoever enqueues it, because sending runs
/// in the background where no request culture exists.
/// </summary>
public sealed record AlertNotification
{
    public required AlertState State { get; init; }
    public required string RuleName { get; init; }
    public required string RuleId { get; init; }
    public required string NodeName { get; init; }
    public required string NodeId { get; init; }
    public AlertSeverity Severity { get; init; } = AlertSeverity.Warning;
    public double? Value { get; init; }
    public double? Threshold { get; init; }

    /// <summary>Already descriptive and on one line, e.g. "CPU 93.2 % &gt; 80 % for 30 s".</summary>
    public required string Message { get; init; }

    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>How long the alert fired; when not given for a resolved alert, <see cref="ResolvedAt"/> − <see cref="StartedAt"/>.</summary>
    public TimeSpan? Duration { get; init; }

    public string Language { get; init; } = "en";

    /// <summary>Sent by the channel's <i>Send test</i> button: marked as a test in the title and text.</summary>
    public bool IsTest { get; init; }

    internal TimeSpan? EffectiveDuration => Duration ?? (ResolvedAt is { } end ? end - StartedAt : null);

    /// <summary>A made-up alert for the <i>Send test</i> button, so the message looks like a real one.</summary>
    public static AlertNotification Test(string language, DateTimeOffset now) => new()
    {
        State = AlertState.Firing,
        RuleName = "CPU usage",
        RuleId = "test",
        NodeName = "example-node",
        NodeId = "test",
        Severity = AlertSeverity.Warning,
        Value = 93.2,
        Threshold = 80,
        Message = "CPU 93.2 % > 80 % for 30 s",
        StartedAt = now,
        Language = language,
        IsTest = true,
    };
}
