using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.DataProtection;
using SentinelX.App.Features.Alerts.Channels;
using Xunit;
using static SentinelX.Tests.Alerts.Channels.ChannelTestKit;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>The generic webhook: the default JSON body of the contract, custom headers, body templates, no redirects.</summary>
public sealed class WebhookChannelTests
{
    [Fact]
    public async Task Default_body_is_the_documented_JSON_with_the_custom_headers()
    {
        await using var hook = await Receiver.StartAsync();
        var config = Config("webhook", $$$"""{"url":"{{{hook.At("/hooks/alerts?source=sx")}}}","headers":{"Authorization":"Bearer s3cr3t-t0ken","X-Env":"prod"}}""");

        (await SendAsync(config, Firing())).Ok.Should().BeTrue();

        var request = await hook.NextAsync();
        (request.Method, request.Path, request.Query).Should().Be(("POST", "/hooks/alerts", "?source=sx"));
        request.Header("Authorization").Should().Be("Bearer s3cr3t-t0ken");
        request.Header("X-Env").Should().Be("prod");
        request.Header("Content-Type").Should().Be("application/json; charset=utf-8");
        Normalized(request.Body).Should().Be(Normalized("""
            {"state":"firing","rule":"CPU high","ruleId":"rule-7","node":"web-1","nodeId":"node-42","severity":"critical",
             "value":93.2,"threshold":80,"message":"CPU 93.2 % > 80 % for 30 s","startedAt":"2026-12-04T10:00:00.000Z","resolvedAt":null}
            """));
    }

    [Fact]
    public async Task Resolved_default_body_has_resolvedAt_and_null_for_missing_values()
    {
        await using var hook = await Receiver.StartAsync();
        var config = Config("webhook", $$"""{"url":"{{hook.At()}}"}""");

        (await SendAsync(config, Resolved() with { Value = null, Threshold = null })).Ok.Should().BeTrue();

        var json = (await hook.NextAsync()).Json;
        json.GetProperty("state").GetString().Should().Be("resolved");
        json.GetProperty("resolvedAt").GetString().Should().Be("2026-12-04T10:05:03.000Z");
        json.GetProperty("value").ValueKind.Should().Be(JsonValueKind.Null);
        json.GetProperty("threshold").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Fact]
    public async Task A_JSON_template_gets_whole_JSON_values_escaped()
    {
        await using var hook = await Receiver.StartAsync();
        var template = """{"msg_type":"text","content":{"text": {{text}}},"title":{{ title }},"v":{{value}},"d":{{durationSeconds}},"test":{{test}}}""";
        var config = Config("webhook", JsonSerializer.Serialize(new { url = hook.At(), bodyTemplate = template }));

        (await SendAsync(config, Resolved("zh-CN") with { RuleName = "quote \" and \\ back" })).Ok.Should().BeTrue();

        var json = (await hook.NextAsync()).Json;
        json.GetProperty("msg_type").GetString().Should().Be("text");
        json.GetProperty("title").GetString().Should().Be("【已恢复】web-1：quote \" and \\ back");
        json.GetProperty("content").GetProperty("text").GetString().Should().StartWith("CPU 93.2 % > 80 % for 30 s\n\n规则: quote \" and \\ back\n");
        json.GetProperty("v").GetDouble().Should().Be(41.5);
        json.GetProperty("d").GetDouble().Should().Be(303);
        json.GetProperty("test").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task A_form_template_is_URL_encoded_with_its_content_type_also_after_storage()
    {
        await using var hook = await Receiver.StartAsync();
        var secrets = new ChannelSecrets(new EphemeralDataProtectionProvider());
        var config = secrets.Unprotect(secrets.Protect(Config("webhook", JsonSerializer.Serialize(new
        {
            url = hook.At("/form"),
            headers = new Dictionary<string, string> { ["content-type"] = "application/x-www-form-urlencoded" },
            bodyTemplate = "title={{title}}&state={{state}}&threshold={{threshold}}",
        }))));

        (await SendAsync(config, Firing() with { RuleName = "a&b=c" })).Ok.Should().BeTrue();

        var request = await hook.NextAsync();
        request.Header("Content-Type").Should().Be("application/x-www-form-urlencoded");
        request.Form.Should().Equal(new Dictionary<string, string>
        {
            ["title"] = "[FIRING] a&b=c on web-1",
            ["state"] = "firing",
            ["threshold"] = "80",
        });
    }

    [Fact]
    public async Task A_redirect_is_not_followed()
    {
        await using var hook = await Receiver.StartAsync((_, _) => new Answer(302, Location: "http://other.example:8080/steal"));
        var config = Config("webhook", $$$"""{"url":"{{{hook.At("/moved")}}}","headers":{"Authorization":"Bearer x1y2z3"}}""");

        var result = await SendAsync(config, Firing());

        result.Ok.Should().BeFalse();
        result.Error.Should().Be("HTTP 302: redirected to http://other.example:8080; redirects are not followed, configure the final URL");
        hook.Count.Should().Be(1);
    }

    [Fact]
    public async Task A_5xx_answer_is_a_failure_with_status_and_body()
    {
        await using var hook = await Receiver.StartAsync((_, _) => new Answer(503, "down for maintenance\r\nback soon", "text/plain"));
        var config = Config("webhook", $$"""{"url":"{{hook.At()}}"}""");

        (await SendAsync(config, Firing())).Error.Should().Be("HTTP 503 Service Unavailable: down for maintenance  back soon");
    }

    private static string Normalized(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
