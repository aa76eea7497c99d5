using FluentAssertions;
using Xunit;
using static SentinelX.Tests.Alerts.Channels.ChannelTestKit;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>Alert e-mail through a real SMTP server (aiosmtpd): plain, STARTTLS and implicit TLS.</summary>
public sealed class EmailChannelTests(SmtpServers servers) : IClassFixture<SmtpServers>
{
    [Fact]
    public async Task The_message_reaches_every_recipient_with_the_title_as_subject()
    {
        var smtp = servers.Plain;
        var config = Config("email", $$"""
            {"host":"127.0.0.1","port":{{smtp.Port}},"security":"none","from":"alerts@sentinel.example","to":["ops@example.com","oncall@example.org"]}
            """);

        var result = await SendAsync(config, Firing());

        result.Should().Match<App.Features.Alerts.Channels.DeliveryResult>(r => r.Ok && r.Error == null);
        var message = smtp.MessagesTo("ops@example.com").Single();
        message.Subject.Should().Be("[FIRING] CPU high on web-1");
        message.From.Mailboxes.Single().Address.Should().Be("alerts@sentinel.example");
        message.To.Mailboxes.Select(m => m.Address).Should().Equal("ops@example.com", "oncall@example.org");
        message.Headers["X-MailFrom"].Should().Be("alerts@sentinel.example");
        message.Headers["X-RcptTo"].Should().Be("ops@example.com, oncall@example.org");
        message.TextBody!.ReplaceLineEndings("\n").TrimEnd().Should().Be(
            "CPU 93.2 % > 80 % for 30 s\n\nRule: CPU high\nNode: web-1\nSeverity: critical\nValue: 93.2\nThreshold: 80\nStarted: 2026-12-04 10:00:00 UTC");
    }

    [Fact]
    public async Task A_Chinese_subject_and_body_arrive_intact()
    {
        var smtp = servers.Plain;
        var config = Config("email", $$"""{"host":"127.0.0.1","port":{{smtp.Port}},"security":"none","from":"a@example.com","to":["zh@example.com"]}""");

        (await SendAsync(config, Resolved("zh-CN"))).Ok.Should().BeTrue();

        var message = smtp.MessagesTo("zh@example.com").Single();
        message.Subject.Should().Be("【已恢复】web-1：CPU high");
        message.TextBody.Should().Contain("持续时间: 5 分钟 3 秒");
    }

    [Theory]
    [InlineData(SmtpSecurity.StartTls, "starttls")]
    [InlineData(SmtpSecurity.ImplicitTls, "tls")]
    public async Task TLS_with_a_self_signed_certificate_works_only_when_allowed(SmtpSecurity serverSecurity, string security)
    {
        var smtp = servers[serverSecurity];
        var baseConfig = $$"""{"host":"127.0.0.1","port":{{smtp.Port}},"security":"{{security}}","from":"a@example.com","to":["tls@example.com"]""";

        var refused = await SendAsync(Config("email", baseConfig + "}"), Firing());
        var allowed = await SendAsync(Config("email", baseConfig + ""","allowInvalidCertificate":true}"""), Firing());

        refused.Ok.Should().BeFalse();
        refused.Error.Should().StartWith("TLS handshake with the SMTP server failed");
        allowed.Ok.Should().BeTrue();
        smtp.MessagesTo("tls@example.com").Should().ContainSingle().Which.Subject.Should().Be("[FIRING] CPU high on web-1");
    }

    [Fact]
    public async Task A_server_that_requires_STARTTLS_refuses_a_plain_session_with_its_reason()
    {
        var smtp = servers.StartTls;
        var config = Config("email", $$"""{"host":"127.0.0.1","port":{{smtp.Port}},"security":"none","from":"a@example.com","to":["plain@example.com"]}""");

        var result = await SendAsync(config, Firing());

        result.Ok.Should().BeFalse();
        result.Error.Should().Be("the SMTP server refused to send: Must issue a STARTTLS command first");
        smtp.MessagesTo("plain@example.com").Should().BeEmpty();
    }

    [Fact]
    public async Task A_username_for_a_server_without_authentication_is_a_clear_failure()
    {
        var smtp = servers.Plain;
        var config = Config("email", $$"""
            {"host":"127.0.0.1","port":{{smtp.Port}},"security":"none","username":"ops","password":"Secr3tPassw0rd","from":"a@example.com","to":["auth@example.com"]}
            """);

        var result = await SendAsync(config, Firing());

        result.Ok.Should().BeFalse();
        result.Error.Should().Be("the SMTP server does not offer authentication (AUTH); remove username and password or use another security mode");
        smtp.MessagesTo("auth@example.com").Should().BeEmpty();
    }

    [Fact]
    public async Task It_signs_in_after_STARTTLS_and_a_wrong_password_is_a_final_failure_without_the_password()
    {
        var smtp = servers.WithLogin;
        var (user, password) = SmtpServer.Login;
        string Json(string pw) => $$"""
            {"host":"127.0.0.1","port":{{smtp.Port}},"security":"starttls","allowInvalidCertificate":true,
             "username":"{{user}}","password":"{{pw}}","from":"a@example.com","to":["login@example.com"]}
            """;

        var wrong = await SendAsync(Config("email", Json("Wr0ng-Passw0rd")), Firing());
        var right = await SendAsync(Config("email", Json(password)), Firing());

        wrong.Ok.Should().BeFalse();
        wrong.Error.Should().StartWith("SMTP authentication failed").And.NotContain("Wr0ng-Passw0rd");
        right.Ok.Should().BeTrue();
        smtp.MessagesTo("login@example.com").Should().ContainSingle().Which.Subject.Should().Be("[FIRING] CPU high on web-1");
    }
}
