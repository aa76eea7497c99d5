using System.Security.Cryptography;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.DataProtection;
using SentinelX.App.Features.Alerts.Channels;
using Xunit;
using static SentinelX.Tests.Alerts.Channels.ChannelTestKit;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>Secrets are stored encrypted, never shown back, and kept on update when the client leaves them out.</summary>
public sealed class ChannelSecretsTests
{
    private readonly ChannelSecrets _secrets = new(new EphemeralDataProtectionProvider());

    /// <summary>One config of every type, with the secrets each holds.</summary>
    public static TheoryData<string, string, string[]> EveryType => new()
    {
        { "webhook", """{"url":"https://hooks.example.com/T0ken-In-Path?k=QueryKey99","headers":{"Authorization":"Bearer HeaderSecret1","X-Api-Key":"HeaderSecret2"}}""",
            ["T0ken-In-Path", "QueryKey99", "HeaderSecret1", "HeaderSecret2"] },
        { "telegram", """{"botToken":"987654321:ZZyyXXwwVVuuTTssRRqqPPooNNmmLL","chatId":"42"}""", ["987654321:ZZyyXXwwVVuuTTssRRqqPPooNNmmLL"] },
        { "email", """{"host":"smtp.example.com","username":"ops","password":"SmtpPassw0rd!","from":"a@example.com","to":["b@example.com"]}""", ["SmtpPassw0rd!"] },
        { "ntfy", """{"topic":"alerts","token":"tk_NtfySecretToken"}""", ["tk_NtfySecretToken"] },
        { "gotify", """{"server":"https://gotify.example","token":"GotifyAppToken"}""", ["GotifyAppToken"] },
        { "bark", """{"deviceKey":"BarkDeviceKey123"}""", ["BarkDeviceKey123"] },
        { "discord", """{"webhookUrl":"https://discord.com/api/webhooks/1234/DiscordHookToken"}""", ["DiscordHookToken"] },
        { "slack", """{"webhookUrl":"https://hooks.slack.com/services/T00/B00/SlackHookSecret"}""", ["SlackHookSecret"] },
        { "wecom", """{"key":"wecom-robot-key-1"}""", ["wecom-robot-key-1"] },
        { "dingtalk", """{"accessToken":"DingAccessToken","secret":"SECDingSignSecret"}""", ["DingAccessToken", "SECDingSignSecret"] },
        { "serverchan", """{"sendKey":"SCTServerChanKey"}""", ["SCTServerChanKey"] },
    };

    [Theory]
    [MemberData(nameof(EveryType))]
    public void The_stored_string_holds_no_secret_and_reads_back(string type, string json, string[] secrets)
    {
        var config = Config(type, json);

        var stored = _secrets.Protect(config);

        foreach (var secret in secrets) stored.Should().NotContain(secret);
        stored.Should().NotContain(type);
        var back = _secrets.Unprotect(stored);
        back.Type.Should().Be(type);
        Serialized(back).Should().Be(Serialized(config));
    }

    [Theory]
    [MemberData(nameof(EveryType))]
    public void Redaction_hides_every_secret(string type, string json, string[] secrets)
    {
        var redacted = ChannelSecrets.Redact(Config(type, json)).ToJsonString();

        foreach (var secret in secrets) redacted.Should().NotContain(secret);
        redacted.Should().Contain("""{"set":true""");
        redacted.Should().NotContain("\"type\"");
    }

    [Fact]
    public void Redaction_shows_what_is_set_and_where_a_secret_url_points()
    {
        var webhook = ChannelSecrets.Redact(Config("webhook", """{"url":"https://hooks.example.com:8443/abc?k=1","headers":{"X-Key":"v1"},"bodyTemplate":"{}"}"""));
        webhook.ToJsonString().Should().Be(
            """{"url":{"set":true,"origin":"https://hooks.example.com:8443"},"headers":{"X-Key":{"set":true}},"bodyTemplate":"{}"}""");

        var ntfy = ChannelSecrets.Redact(Config("ntfy", """{"topic":"alerts"}"""));
        ntfy.ToJsonString().Should().Be("""{"server":"https://ntfy.sh/","topic":"alerts","token":{"set":false}}""");
    }

    [Fact]
    public void An_update_without_secrets_keeps_the_stored_ones()
    {
        var stored = Config("telegram", """{"botToken":"987654321:ZZyyXXwwVVuuTTssRRqqPPooNNmmLL","chatId":"42"}""");

        foreach (var token in new[] { "", ""","botToken":null""", ""","botToken":{"set":true}""" })
        {
            var updated = (TelegramConfig)Update("telegram", $$"""{"chatId":"43"{{token}}}""", stored);
            (updated.BotToken, updated.ChatId).Should().Be(("987654321:ZZyyXXwwVVuuTTssRRqqPPooNNmmLL", "43"));
        }
        var replaced = (TelegramConfig)Update("telegram", """{"chatId":"43","botToken":"111:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"}""", stored);
        replaced.BotToken.Should().Be("111:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ");
    }

    [Fact]
    public void The_redacted_view_sent_back_unchanged_is_the_same_config()
    {
        var stored = Config("dingtalk", """{"accessToken":"DingAccessToken","secret":"SECDingSignSecret"}""");

        var again = Update("dingtalk", ChannelSecrets.Redact(stored).ToJsonString(), stored);

        Serialized(again).Should().Be(Serialized(stored));
    }

    [Fact]
    public void Header_values_are_kept_one_by_one_and_headers_left_out_are_removed()
    {
        var stored = Config("webhook", """{"url":"https://h.example/x","headers":{"Authorization":"Bearer old","X-Env":"prod"}}""");

        var updated = (WebhookConfig)Update("webhook", """{"headers":{"authorization":{"set":true},"X-New":"1"}}""", stored);

        updated.Url.Should().Be(new Uri("https://h.example/x"));
        updated.Headers.Should().BeEquivalentTo(new Dictionary<string, string> { ["authorization"] = "Bearer old", ["X-New"] = "1" });
        ((WebhookConfig)Update("webhook", "{}", stored)).Headers.Should().HaveCount(2);
    }

    [Fact]
    public void An_empty_string_clears_an_optional_secret()
    {
        var stored = Config("ntfy", """{"topic":"alerts","token":"tk_NtfySecretToken"}""");

        ((NtfyConfig)Update("ntfy", """{"topic":"alerts","token":""}""", stored)).Token.Should().BeNull();
    }

    [Fact]
    public void Secrets_do_not_carry_over_to_another_type()
    {
        var stored = Config("gotify", """{"server":"https://gotify.example","token":"GotifyAppToken"}""");

        var result = ChannelConfigParser.Parse("ntfy", JsonDocument.Parse("""{"topic":"t","token":null}""").RootElement, stored);

        ((NtfyConfig)result.Config!).Token.Should().BeNull();
    }

    [Fact]
    public void A_tampered_or_foreign_string_does_not_read_back()
    {
        var stored = _secrets.Protect(Config("bark", """{"deviceKey":"BarkDeviceKey123"}"""));
        var tampered = stored[..^4] + (stored[^4] == 'A' ? 'B' : 'A') + stored[^3..];

        FluentActions.Invoking(() => _secrets.Unprotect(tampered)).Should().Throw<CryptographicException>();
        FluentActions.Invoking(() => new ChannelSecrets(new EphemeralDataProtectionProvider()).Unprotect(stored)).Should().Throw<CryptographicException>();
    }

    private static ChannelConfig Update(string type, string json, ChannelConfig stored)
    {
        var result = ChannelConfigParser.Parse(type, JsonDocument.Parse(json).RootElement, stored);
        result.Errors.Should().BeEmpty();
        return result.Config!;
    }

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static string Serialized(ChannelConfig config) => JsonSerializer.Serialize(config, Web);
}
