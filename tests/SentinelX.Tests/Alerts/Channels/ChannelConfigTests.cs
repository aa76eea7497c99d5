using System.Text.Json;
using FluentAssertions;
using SentinelX.App.Features.Alerts.Channels;
using Xunit;
using static SentinelX.Tests.Alerts.Channels.ChannelTestKit;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>Hostile and mistaken configs are refused with an error on the field at fault; nothing half-valid comes out.</summary>
public sealed class ChannelConfigTests
{
    private const string Token = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ";

    public static TheoryData<string, string, string> Hostile => new()
    {
        // Telegram
        { "telegram", """{"botToken":123456,"chatId":"1"}""", "config.botToken" },
        { "telegram", $$"""{"botToken":"{{Token}}\r\nX-Evil: 1","chatId":"1"}""", "config.botToken" },
        { "telegram", $$"""{"botToken":"{{Token}}/../../x","chatId":"1"}""", "config.botToken" },
        { "telegram", $$"""{"botToken":"{{Token}}","chatId":"1; DROP"}""", "config.chatId" },
        { "telegram", $$"""{"botToken":"{{Token}}"}""", "config.chatId" },
        { "telegram", $$"""{"botToken":"{{Token}}","chatId":"1","apiBase":"ftp://api.telegram.org"}""", "config.apiBase" },
        { "telegram", $$"""{"botToken":"{{Token}}","chatId":"1","apiBase":"file:///etc/passwd"}""", "config.apiBase" },
        { "telegram", $$"""{"botToken":"{{Token}}","chatId":"1","apiBase":"/relative/path"}""", "config.apiBase" },
        { "telegram", $$"""{"botToken":"{{Token}}","chatId":"1","apiBase":"https://u:p@api.telegram.org"}""", "config.apiBase" },
        { "telegram", $$"""{"botToken":"{{Token}}","chatId":"1","apiBase":"https://api.telegram.org/?x=1"}""", "config.apiBase" },
        { "telegram", $$"""{"botToken":"{{Token}}","chatId":"1","botTokn":"typo"}""", "config.botTokn" },
        // Generic webhook
        { "webhook", """{"url":"javascript:alert(1)"}""", "config.url" },
        { "webhook", """{"url":"http://"}""", "config.url" },
        { "webhook", """{"url":"https://admin:hunter2@hooks.example.com/x"}""", "config.url" },
        { "webhook", $$"""{"url":"https://hooks.example.com/{{new string('a', 3000)}}"}""", "config.url" },
        { "webhook", """{"url":"https://hooks.example.com/x\u0000y"}""", "config.url" },
        { "webhook", """{"url":["https://hooks.example.com"]}""", "config.url" },
        { "webhook", """{"url":"https://h.example","headers":{"X-A\r\nB":"v"}}""", "config.headers.X-A\r\nB" },
        { "webhook", """{"url":"https://h.example","headers":{"X A":"v"}}""", "config.headers.X A" },
        { "webhook", """{"url":"https://h.example","headers":{"X-A":"v\r\nInjected: 1"}}""", "config.headers.X-A" },
        { "webhook", """{"url":"https://h.example","headers":{"X-A":"v\u0000"}}""", "config.headers.X-A" },
        { "webhook", """{"url":"https://h.example","headers":{"Host":"internal"}}""", "config.headers.Host" },
        { "webhook", """{"url":"https://h.example","headers":{"Transfer-Encoding":"chunked"}}""", "config.headers.Transfer-Encoding" },
        { "webhook", """{"url":"https://h.example","headers":{"X-N":5}}""", "config.headers.X-N" },
        { "webhook", """{"url":"https://h.example","headers":"Authorization: x"}""", "config.headers" },
        { "webhook", $$$"""{"url":"https://h.example","headers":{"X-Big":"{{{new string('v', 5000)}}}"}}""", "config.headers.X-Big" },
        { "webhook", """{"url":"https://h.example","bodyTemplate":"{\"a\": {{nope}}}"}""", "config.bodyTemplate" },
        { "webhook", """{"url":"https://h.example","bodyTemplate":"{\"a\": {{text}}"}""", "config.bodyTemplate" },
        { "webhook", """{"url":"https://h.example","bodyTemplate":"{\"a\": \"{{text}}\"}"}""", "config.bodyTemplate" },
        { "webhook", """{"url":"https://h.example","bodyTemplate":"x\u0000"}""", "config.bodyTemplate" },
        { "webhook", """{"url":"https://h.example","bodyTemplate":{"a":1}}""", "config.bodyTemplate" },
        // E-mail
        { "email", """{"host":"smtp.example.com","port":0,"from":"a@example.com","to":["b@example.com"]}""", "config.port" },
        { "email", """{"host":"smtp.example.com","port":70000,"from":"a@example.com","to":["b@example.com"]}""", "config.port" },
        { "email", """{"host":"smtp.example.com","port":"587","from":"a@example.com","to":["b@example.com"]}""", "config.port" },
        { "email", """{"host":"smtp.example.com","port":25.5,"from":"a@example.com","to":["b@example.com"]}""", "config.port" },
        { "email", """{"host":"smtp.example.com","security":"ssl","from":"a@example.com","to":["b@example.com"]}""", "config.security" },
        { "email", """{"host":"bad host!","from":"a@example.com","to":["b@example.com"]}""", "config.host" },
        { "email", """{"host":"smtp.example.com","from":"not an address","to":["b@example.com"]}""", "config.from" },
        { "email", """{"host":"smtp.example.com","from":"a@example.com\r\nBcc: x@evil.example","to":["b@example.com"]}""", "config.from" },
        { "email", """{"host":"smtp.example.com","from":"Ops <a@example.com>","to":["b@example.com"]}""", "config.from" },
        { "email", """{"host":"smtp.example.com","from":"a@example.com","to":[]}""", "config.to" },
        { "email", """{"host":"smtp.example.com","from":"a@example.com","to":"b@example.com"}""", "config.to" },
        { "email", """{"host":"smtp.example.com","from":"a@example.com","to":["b@example.com",5]}""", "config.to[1]" },
        { "email", """{"host":"smtp.example.com","from":"a@example.com","to":["b@example.com","c@d\nBcc: e@f"]}""", "config.to[1]" },
        { "email", """{"host":"smtp.example.com","from":"a@example.com","to":["b@example.com"],"password":"pw"}""", "config.password" },
        { "email", """{"host":"smtp.example.com","from":"a@example.com","to":["b@example.com"],"allowInvalidCertificate":"yes"}""", "config.allowInvalidCertificate" },
        // ntfy
        { "ntfy", """{"topic":"../admin"}""", "config.topic" },
        { "ntfy", $$"""{"topic":"{{new string('t', 65)}}"}""", "config.topic" },
        { "ntfy", """{"topic":"t","priority":9}""", "config.priority" },
        { "ntfy", """{"topic":"t","priority":"high"}""", "config.priority" },
        { "ntfy", """{"topic":"t","server":"http://user:pass@ntfy.example"}""", "config.server" },
        { "ntfy", """{"topic":"t","token":"tk_a\r\nX: y"}""", "config.token" },
        // Gotify
        { "gotify", """{"token":"abc"}""", "config.server" },
        { "gotify", """{"server":"https://gotify.example","token":"a b"}""", "config.token" },
        { "gotify", """{"server":"https://gotify.example","token":"abc","priority":11}""", "config.priority" },
        // Bark
        { "bark", """{"deviceKey":"abc/../x"}""", "config.deviceKey" },
        { "bark", """{"deviceKey":"abc","server":"api.day.app"}""", "config.server" },
        // Discord, Slack
        { "discord", """{"webhookUrl":"ftp://discord.com/api/webhooks/1/x"}""", "config.webhookUrl" },
        { "discord", """{}""", "config.webhookUrl" },
        { "slack", """{"webhookUrl":"https://hooks.slack.com/services/T/B/X\nY"}""", "config.webhookUrl" },
        { "slack", """{"webhookUrl":"https://hooks.slack.com/services/T/B/X#frag"}""", "config.webhookUrl" },
        // WeCom, DingTalk, ServerChan
        { "wecom", """{}""", "config.key" },
        { "wecom", """{"key":"abc","url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"}""", "config.key" },
        { "wecom", """{"key":"a b"}""", "config.key" },
        { "wecom", """{"url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc","apiBase":"https://x.example"}""", "config.apiBase" },
        { "dingtalk", """{"secret":"SECabc"}""", "config.accessToken" },
        { "dingtalk", """{"accessToken":"abc","secret":"SEC\nabc"}""", "config.secret" },
        { "dingtalk", """{"accessToken":"abc&x=1"}""", "config.accessToken" },
        { "serverchan", """{"sendKey":"../../x"}""", "config.sendKey" },
        { "serverchan", $$"""{"sendKey":"{{new string('k', 200)}}"}""", "config.sendKey" },
        { "serverchan", """{"sendKey":"SCTabc","apiBase":"https://sctapi.ftqq.com/?k=v"}""", "config.apiBase" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_values_are_refused_on_their_field(string type, string json, string field)
    {
        var result = ChannelConfigParser.Parse(type, JsonDocument.Parse(json).RootElement);

        result.Config.Should().BeNull();
        result.Errors.Should().ContainKey(field);
        result.Errors[field].Should().NotBeEmpty().And.OnlyContain(m => m.EndsWith('.'));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sms")]
    [InlineData("Telegram")]
    public void An_unknown_type_is_refused(string? type)
    {
        var result = ChannelConfigParser.Parse(type, JsonDocument.Parse("{}").RootElement);

        result.Errors.Should().ContainKey("type");
        result.Errors["type"].Single().Should().Be(
            "Must be one of: webhook, telegram, email, ntfy, gotify, bark, discord, slack, wecom, dingtalk, serverchan.");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("null")]
    public void A_config_that_is_not_an_object_is_refused(string json) =>
        ChannelConfigParser.Parse("telegram", JsonDocument.Parse(json).RootElement).Errors.Should().ContainKey("config");

    [Fact]
    public void A_huge_config_is_refused_whole()
    {
        var json = JsonSerializer.Serialize(new { url = "https://h.example", bodyTemplate = new string('x', 70_000) });

        Errors("webhook", json)["config"].Single().Should().Be("Must be at most 64 KB.");
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Errors("email", """{"host":"","port":-1,"security":"ssl","from":"x","to":[],"extra":1}""");

        errors.Keys.Should().BeEquivalentTo("config.host", "config.port", "config.security", "config.from", "config.to", "config.extra");
    }

    [Fact]
    public void Defaults_fill_what_was_not_given()
    {
        var telegram = (TelegramConfig)Config("telegram", $$"""{"botToken":"{{Token}}","chatId":"@ops_room"}""");
        telegram.ApiBase.Should().Be(new Uri("https://api.telegram.org/"));
        ((BarkConfig)Config("bark", """{"deviceKey":"abc"}""")).Server.Should().Be(new Uri("https://api.day.app/"));
        ((NtfyConfig)Config("ntfy", """{"topic":"abc"}""")).Server.Should().Be(new Uri("https://ntfy.sh/"));
        ((WeComConfig)Config("wecom", """{"key":"abc"}""")).ApiBase.Should().Be(new Uri("https://qyapi.weixin.qq.com/"));
        ((DingTalkConfig)Config("dingtalk", """{"accessToken":"abc"}""")).ApiBase.Should().Be(new Uri("https://oapi.dingtalk.com/"));
        ((ServerChanConfig)Config("serverchan", """{"sendKey":"SCTabc"}""")).ApiBase.Should().Be(new Uri("https://sctapi.ftqq.com/"));

        var tls = (EmailConfig)Config("email", """{"host":"smtp.example.com","security":"tls","from":"a@example.com","to":["b@example.com"]}""");
        (tls.Port, tls.Security, tls.AllowInvalidCertificate).Should().Be((465, "tls", false));
        ((EmailConfig)Config("email", """{"host":"10.0.0.5","from":"a@example.com","to":["b@example.com"]}""")).Port.Should().Be(587);
    }
}
