using System.Globalization;
using FluentAssertions;
using SentinelX.App.Features.Alerts.Channels;
using Xunit;
using static SentinelX.Tests.Alerts.Channels.ChannelTestKit;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>The message every channel sends, in the language the notification names, whatever the thread's culture.</summary>
public sealed class AlertMessageTests
{
    [Fact]
    public void A_resolved_alert_reads_in_English()
    {
        var message = AlertMessage.Render(Resolved());

        message.Title.Should().Be("[RESOLVED] CPU high on web-1");
        message.ToText().Should().Be(
            "CPU 93.2 % > 80 % for 30 s\n\nRule: CPU high\nNode: web-1\nSeverity: critical\nValue: 41.5\nThreshold: 80\n" +
            "Started: 2026-12-04 10:00:00 UTC\nResolved at: 2026-12-04 10:05:03 UTC\nDuration: 5 min 3 s");
    }

    [Fact]
    public void A_resolved_alert_reads_in_Chinese()
    {
        var message = AlertMessage.Render(Resolved("zh-CN") with { Severity = AlertSeverity.Warning, Duration = TimeSpan.FromHours(26.5) });

        message.Title.Should().Be("【已恢复】web-1：CPU high");
        message.ToText().Should().Be(
            "CPU 93.2 % > 80 % for 30 s\n\n规则: CPU high\n节点: web-1\n级别: 警告\n当前值: 41.5\n阈值: 80\n" +
            "开始时间: 2026-12-04 10:00:00 UTC\n恢复时间: 2026-12-04 10:05:03 UTC\n持续时间: 1 天 2 小时");
    }

    [Fact]
    public void The_test_message_says_so_in_its_language()
    {
        var english = AlertMessage.Render(AlertNotification.Test("en", Started));
        var chinese = AlertMessage.Render(AlertNotification.Test("zh-CN", Started));

        english.Title.Should().Be("[TEST] [FIRING] CPU usage on example-node");
        english.ToText().Should().StartWith("This is a test message from SentinelX; the values below are examples.\n");
        chinese.Title.Should().Be("【测试】【告警】example-node：CPU usage");
        chinese.ToText().Should().StartWith("这是 SentinelX 发送的测试消息，以下数值仅为示例。\n");
    }

    [Fact]
    public void The_language_comes_from_the_notification_not_the_thread_culture()
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("zh-CN");
        try
        {
            AlertMessage.Render(Firing("en")).Title.Should().Be("[FIRING] CPU high on web-1");
            CultureInfo.CurrentUICulture.Name.Should().Be("zh-CN");
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
        AlertMessage.Render(Firing("zh-CN")).Title.Should().Be("【告警】web-1：CPU high");
    }

    [Fact]
    public void Names_cannot_break_lines_or_markup()
    {
        var message = AlertMessage.Render(Firing() with { RuleName = "disk\r\nBcc: x@evil.example", NodeName = "<b>web</b> *1*" });

        message.Title.Should().Be("[FIRING] disk  Bcc: x@evil.example on <b>web</b> *1*");
        message.ToTelegramHtml().Should().Contain("<b>Node:</b> &lt;b&gt;web&lt;/b&gt; *1*");
        message.ToMarkdown().Should().Contain(@"**Node:** \<b>web\</b> \*1\*");
    }
}
