using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using static SentinelX.Tests.Alerts.Channels.ChannelTestKit;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>
/// Each service gets the request its documentation asks for (method, path, query, headers, body),
/// sent to a real local server standing in for it, and its answer decides success: HTTP status,
/// Telegram's <c>ok</c>, WeCom's and DingTalk's <c>errcode</c>, ServerChan's <c>code</c>, Bark's <c>code</c>.
/// </summary>
public sealed class ServiceChannelTests
{
    private const string BotToken = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ";

    [Fact]
    public async Task Telegram_posts_sendMessage_with_HTML_text()
    {
        await using var telegram = await Receiver.StartAsync((_, _) => new Answer(200, """{"ok":true,"result":{"message_id":7}}"""));
        var config = Config("telegram", $$"""{"botToken":"{{BotToken}}","chatId":"-1001234567","apiBase":"{{telegram.At()}}"}""");

        var result = await SendAsync(config, Firing());

        result.Should().Match<App.Features.Alerts.Channels.DeliveryResult>(r => r.Ok && r.Error == null && r.Attempts == 1);
        var request = await telegram.NextAsync();
        request.Method.Should().Be("POST");
        request.Path.Should().Be($"/bot{BotToken}/sendMessage");
        request.Header("Content-Type").Should().Be("application/json; charset=utf-8");
        request.Json.GetProperty("chat_id").GetString().Should().Be("-1001234567");
        request.Json.GetProperty("parse_mode").GetString().Should().Be("HTML");
        request.Json.GetProperty("disable_web_page_preview").GetBoolean().Should().BeTrue();
        request.Json.GetProperty("text").GetString().Should().Be(
            "<b>[FIRING] CPU high on web-1</b>\nCPU 93.2 % &gt; 80 % for 30 s\n\n<b>Rule:</b> CPU high\n<b>Node:</b> web-1\n" +
            "<b>Severity:</b> critical\n<b>Value:</b> 93.2\n<b>Threshold:</b> 80\n<b>Started:</b> 2026-12-04 10:00:00 UTC");
    }

    [Theory]
    [InlineData(400, """{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}""", "Telegram error 400: Bad Request: chat not found")]
    [InlineData(200, """{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}""", "Telegram error 403: Forbidden: bot was blocked by the user")]
    [InlineData(200, """{"result":true}""", "Telegram answered without \"ok\":true")]
    public async Task Telegram_ok_false_is_a_failure(int status, string body, string error)
    {
        await using var telegram = await Receiver.StartAsync((_, _) => new Answer(status, body));
        var config = Config("telegram", $$"""{"botToken":"{{BotToken}}","chatId":"@sentinel_ops","apiBase":"{{telegram.At()}}"}""");

        var result = await SendAsync(config, Firing());

        result.Ok.Should().BeFalse();
        result.Error.Should().Be(error);
    }

    [Fact]
    public async Task A_service_echoing_a_secret_does_not_get_it_into_the_error()
    {
        await using var telegram = await Receiver.StartAsync((r, _) => new Answer(401, $$"""{"ok":false,"error_code":401,"description":"Unauthorized: {{r.Path}}"}"""));
        var config = Config("telegram", $$"""{"botToken":"{{BotToken}}","chatId":"1","apiBase":"{{telegram.At()}}"}""");

        var result = await SendAsync(config, Firing());

        result.Error.Should().Be("Telegram error 401: Unauthorized: /bot***/sendMessage");
    }

    [Fact]
    public async Task Ntfy_publishes_JSON_to_the_server_root_with_a_bearer_token()
    {
        await using var ntfy = await Receiver.StartAsync((_, _) => new Answer(200, """{"id":"abc","event":"message"}"""));
        var config = Config("ntfy", $$"""{"server":"{{ntfy.At()}}","topic":"sentinel-alerts","token":"tk_0123456789abcdef"}""");

        (await SendAsync(config, Firing())).Ok.Should().BeTrue();

        var request = await ntfy.NextAsync();
        (request.Method, request.Path).Should().Be(("POST", "/"));
        request.Header("Authorization").Should().Be("Bearer tk_0123456789abcdef");
        var json = request.Json;
        json.GetProperty("topic").GetString().Should().Be("sentinel-alerts");
        json.GetProperty("title").GetString().Should().Be("[FIRING] CPU high on web-1");
        json.GetProperty("message").GetString().Should().StartWith("CPU 93.2 % > 80 % for 30 s\n\n**Rule:** CPU high\n");
        json.GetProperty("markdown").GetBoolean().Should().BeTrue();
        json.GetProperty("priority").GetInt32().Should().Be(5);
        json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Equal("rotating_light");
    }

    [Fact]
    public async Task Ntfy_configured_priority_wins_and_no_token_sends_no_authorization()
    {
        await using var ntfy = await Receiver.StartAsync();
        var config = Config("ntfy", $$"""{"server":"{{ntfy.At("/ntfy")}}","topic":"t","priority":2}""");

        (await SendAsync(config, Resolved())).Ok.Should().BeTrue();

        var request = await ntfy.NextAsync();
        request.Path.Should().Be("/ntfy/");
        request.Header("Authorization").Should().BeNull();
        request.Json.GetProperty("priority").GetInt32().Should().Be(2);
        request.Json.GetProperty("tags")[0].GetString().Should().Be("white_check_mark");
    }

    [Fact]
    public async Task Gotify_posts_message_with_the_app_token_header_and_markdown_extras()
    {
        await using var gotify = await Receiver.StartAsync((_, _) => new Answer(200, """{"id":1}"""));
        var config = Config("gotify", $$"""{"server":"{{gotify.At()}}","token":"AbC.dEf-123"}""");

        (await SendAsync(config, Firing())).Ok.Should().BeTrue();

        var request = await gotify.NextAsync();
        (request.Method, request.Path, request.Query).Should().Be(("POST", "/message", ""));
        request.Header("X-Gotify-Key").Should().Be("AbC.dEf-123");
        request.Json.GetProperty("title").GetString().Should().Be("[FIRING] CPU high on web-1");
        request.Json.GetProperty("priority").GetInt32().Should().Be(8);
        request.Json.GetProperty("extras").GetProperty("client::display").GetProperty("contentType").GetString().Should().Be("text/markdown");
    }

    [Fact]
    public async Task Gotify_401_is_a_failure_with_the_status()
    {
        await using var gotify = await Receiver.StartAsync((_, _) => new Answer(401, """{"error":"Unauthorized","errorCode":401,"errorDescription":"you need to provide a valid access token"}"""));
        var config = Config("gotify", $$"""{"server":"{{gotify.At()}}","token":"wrong"}""");

        var result = await SendAsync(config, Firing());

        result.Ok.Should().BeFalse();
        result.Error.Should().StartWith("HTTP 401 Unauthorized: {\"error\":\"Unauthorized\"");
    }

    [Fact]
    public async Task Bark_posts_push_and_reads_code_200()
    {
        await using var bark = await Receiver.StartAsync((_, _) => new Answer(200, """{"code":200,"message":"success","timestamp":1}"""));
        var config = Config("bark", $$"""{"server":"{{bark.At()}}","deviceKey":"qAzWsXeDcRfVtGbYhNuJmK"}""");

        (await SendAsync(config, Firing())).Ok.Should().BeTrue();

        var request = await bark.NextAsync();
        (request.Method, request.Path).Should().Be(("POST", "/push"));
        request.Json.GetProperty("device_key").GetString().Should().Be("qAzWsXeDcRfVtGbYhNuJmK");
        request.Json.GetProperty("title").GetString().Should().Be("[FIRING] CPU high on web-1");
        request.Json.GetProperty("body").GetString().Should().StartWith("CPU 93.2 % > 80 % for 30 s\n\nRule: CPU high\nNode: web-1\n");
        request.Json.GetProperty("group").GetString().Should().Be("SentinelX");
        request.Json.GetProperty("level").GetString().Should().Be("timeSensitive");
    }

    [Fact]
    public async Task Bark_error_code_is_a_failure()
    {
        await using var bark = await Receiver.StartAsync((_, _) => new Answer(400, """{"code":400,"message":"failed to get device token: device key not found"}"""));
        var config = Config("bark", $$"""{"server":"{{bark.At()}}","deviceKey":"nope"}""");

        (await SendAsync(config, Firing())).Error.Should().Be("Bark error 400: failed to get device token: device key not found");
    }

    [Fact]
    public async Task Discord_posts_an_embed_that_mentions_nobody()
    {
        await using var discord = await Receiver.StartAsync((_, _) => new Answer(204));
        var config = Config("discord", $$"""{"webhookUrl":"{{discord.At("/api/webhooks/1234/tok-en_x")}}"}""");

        (await SendAsync(config, Firing() with { RuleName = "@everyone *bold*" })).Ok.Should().BeTrue();

        var request = await discord.NextAsync();
        (request.Method, request.Path).Should().Be(("POST", "/api/webhooks/1234/tok-en_x"));
        var embed = request.Json.GetProperty("embeds")[0];
        embed.GetProperty("title").GetString().Should().Be("[FIRING] @everyone *bold* on web-1");
        embed.GetProperty("description").GetString().Should().Contain(@"**Rule:** @everyone \*bold\*");
        embed.GetProperty("color").GetInt32().Should().Be(0xC62828);
        embed.GetProperty("timestamp").GetString().Should().Be("2026-12-04T10:00:00.0000000Z");
        request.Json.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Slack_posts_text_and_a_mrkdwn_section()
    {
        await using var slack = await Receiver.StartAsync((_, _) => new Answer(200, "ok", "text/html"));
        var config = Config("slack", $$"""{"webhookUrl":"{{slack.At("/services/T000/B000/XXXX")}}"}""");

        (await SendAsync(config, Firing())).Ok.Should().BeTrue();

        var request = await slack.NextAsync();
        (request.Method, request.Path).Should().Be(("POST", "/services/T000/B000/XXXX"));
        request.Json.GetProperty("text").GetString().Should().Be("[FIRING] CPU high on web-1");
        var section = request.Json.GetProperty("blocks")[0];
        section.GetProperty("type").GetString().Should().Be("section");
        section.GetProperty("text").GetProperty("type").GetString().Should().Be("mrkdwn");
        section.GetProperty("text").GetProperty("text").GetString().Should().StartWith("*[FIRING] CPU high on web-1*\nCPU 93.2 % &gt; 80 % for 30 s\n\n*Rule:* CPU high");
    }

    [Fact]
    public async Task Slack_error_answer_is_a_failure_that_is_not_retried()
    {
        await using var slack = await Receiver.StartAsync((_, _) => new Answer(404, "no_service", "text/html"));
        var config = Config("slack", $$"""{"webhookUrl":"{{slack.At("/services/T/B/gone")}}"}""");

        var result = await SendAsync(config, Firing());

        result.Error.Should().Be("HTTP 404 Not Found: no_service");
    }

    [Fact]
    public async Task WeCom_posts_markdown_with_the_key_in_the_query()
    {
        await using var wecom = await Receiver.StartAsync((_, _) => new Answer(200, """{"errcode":0,"errmsg":"ok"}"""));
        var config = Config("wecom", $$"""{"key":"693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa","apiBase":"{{wecom.At()}}"}""");

        (await SendAsync(config, Firing("zh-CN"))).Ok.Should().BeTrue();

        var request = await wecom.NextAsync();
        (request.Method, request.Path).Should().Be(("POST", "/cgi-bin/webhook/send"));
        request.QueryValues.Should().Equal(new Dictionary<string, string> { ["key"] = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa" });
        request.Json.GetProperty("msgtype").GetString().Should().Be("markdown");
        request.Json.GetProperty("markdown").GetProperty("content").GetString().Should().StartWith("**【告警】web-1：CPU high**\nCPU 93.2 % > 80 % for 30 s\n\n**规则:** CPU high");
    }

    [Fact]
    public async Task WeCom_errcode_is_a_failure_also_with_the_full_url()
    {
        await using var wecom = await Receiver.StartAsync((_, _) => new Answer(200, """{"errcode":93000,"errmsg":"invalid webhook url, hint: [1733] more info at https://open.work.weixin.qq.com/devtool/query?e=93000"}"""));
        var config = Config("wecom", $$"""{"url":"{{wecom.At("/cgi-bin/webhook/send?key=abc-123")}}"}""");

        var result = await SendAsync(config, Firing());

        (await wecom.NextAsync()).QueryValues["key"].Should().Be("abc-123");
        result.Ok.Should().BeFalse();
        result.Error.Should().StartWith("WeCom error 93000: invalid webhook url");
    }

    [Fact]
    public async Task DingTalk_signs_the_request_as_DingTalk_documents()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 10, 0, 1, 234, TimeSpan.Zero));
        await using var dingtalk = await Receiver.StartAsync((_, _) => new Answer(200, """{"errcode":0,"errmsg":"ok"}"""));
        const string secret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
        var config = Config("dingtalk", $$"""{"accessToken":"a1b2c3d4e5","secret":"{{secret}}","apiBase":"{{dingtalk.At()}}"}""");

        (await SendAsync(config, Firing(), clock)).Ok.Should().BeTrue();

        var request = await dingtalk.NextAsync();
        (request.Method, request.Path).Should().Be(("POST", "/robot/send"));
        var query = request.QueryValues;
        query["access_token"].Should().Be("a1b2c3d4e5");
        query["timestamp"].Should().Be("1796378401234");
        // DingTalk: sign = Base64(HmacSHA256(key: secret, data: timestamp + "\n" + secret)), URL-encoded.
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes("1796378401234\n" + secret)));
        query["sign"].Should().Be(expected);
        request.Query.Should().Contain("&sign=" + Uri.EscapeDataString(expected));
        request.Json.GetProperty("msgtype").GetString().Should().Be("markdown");
        request.Json.GetProperty("markdown").GetProperty("title").GetString().Should().Be("[FIRING] CPU high on web-1");
        request.Json.GetProperty("markdown").GetProperty("text").GetString().Should().StartWith("**[FIRING] CPU high on web-1**\n\nCPU 93.2 % > 80 % for 30 s\n\n**Rule:** CPU high\n\n");
    }

    [Fact]
    public async Task DingTalk_without_a_secret_sends_no_signature_and_errcode_fails()
    {
        await using var dingtalk = await Receiver.StartAsync((_, _) => new Answer(200, """{"errcode":310000,"errmsg":"sign not match"}"""));
        var config = Config("dingtalk", $$"""{"accessToken":"a1b2c3d4e5","apiBase":"{{dingtalk.At()}}"}""");

        var result = await SendAsync(config, Firing());

        (await dingtalk.NextAsync()).QueryValues.Keys.Should().Equal("access_token");
        result.Error.Should().Be("DingTalk error 310000: sign not match");
    }

    [Fact]
    public async Task ServerChan_posts_title_and_desp_as_a_form_to_key_send()
    {
        await using var serverChan = await Receiver.StartAsync((_, _) => new Answer(200, """{"code":0,"message":"","data":{"pushid":"1"}}"""));
        var config = Config("serverchan", $$"""{"sendKey":"SCT123456TAbCdEfGh","apiBase":"{{serverChan.At()}}"}""");

        (await SendAsync(config, Resolved("zh-CN"))).Ok.Should().BeTrue();

        var request = await serverChan.NextAsync();
        (request.Method, request.Path).Should().Be(("POST", "/SCT123456TAbCdEfGh.send"));
        request.Header("Content-Type").Should().Be("application/x-www-form-urlencoded");
        request.Form["title"].Should().Be("【已恢复】web-1：CPU high");
        request.Form["desp"].Should().Contain("**持续时间:** 5 分钟 3 秒");
    }

    [Fact]
    public async Task ServerChan_code_other_than_0_is_a_failure()
    {
        await using var serverChan = await Receiver.StartAsync((_, _) => new Answer(200, """{"code":40001,"message":"bad pushtoken"}"""));
        var config = Config("serverchan", $$"""{"sendKey":"SCTwrong","apiBase":"{{serverChan.At()}}"}""");

        (await SendAsync(config, Firing())).Error.Should().Be("ServerChan error 40001: bad pushtoken");
    }

    [Fact]
    public async Task A_refused_connection_is_a_failure_with_the_reason()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        var config = Config("gotify", $$"""{"server":"http://127.0.0.1:{{port}}","token":"t0k3n"}""");

        var result = await SendAsync(config, Firing());

        result.Ok.Should().BeFalse();
        result.Error.Should().StartWith("connection failed: Connection refused");
    }
}
