using System.Text.Json;
using FluentAssertions;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;
using Xunit;

namespace SentinelX.Tests.Protocol;

/// <summary>Probe sets and probe results as a hostile or broken peer would send them.</summary>
public sealed class ProbeValidationTests
{
    [Theory]
    [InlineData("""{"id":"p1","type":"icmp","target":"example.com","intervalSeconds":30}""")]
    [InlineData("""{"id":"p1","type":"icmp","target":"2001:db8::1","intervalSeconds":5}""")]
    [InlineData("""{"id":"web-1.a:b_c","type":"tcp","target":"[::1]:443","intervalSeconds":86400,"timeoutMs":30000}""")]
    [InlineData("""{"id":"p1","type":"tcp","target":"db.internal:5432","intervalSeconds":60}""")]
    [InlineData("""{"id":"p1","type":"http","target":"https://example.com/health?x=1","intervalSeconds":60,"keyword":"ok","expectStatus":204}""")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com.","intervalSeconds":60,"dnsServer":"[2620:fe::fe]:53","recordType":"AAAA"}""")]
    [InlineData("""{"id":"p1","type":"dns","target":"_sip._udp.example.com","intervalSeconds":60,"dnsServer":"127.0.0.1"}""")]
    public void Well_formed_probes_pass(string json) =>
        ProbeValidation.Validate(Set(json)).Should().BeNull();

    [Theory]
    [InlineData("""{"id":"","type":"icmp","target":"x","intervalSeconds":30}""", "id must be")]
    [InlineData("""{"id":"../etc","type":"icmp","target":"x","intervalSeconds":30}""", "id must be")]
    [InlineData("""{"id":"a b","type":"icmp","target":"x","intervalSeconds":30}""", "id must be")]
    [InlineData("""{"id":"p\r\n","type":"icmp","target":"x","intervalSeconds":30}""", "id must be")]
    [InlineData("""{"id":"p1","type":"ftp","target":"x","intervalSeconds":30}""", "type must be")]
    [InlineData("""{"id":"p1","type":"icmp","target":"x","intervalSeconds":4}""", "intervalSeconds must be within 5–86400")]
    [InlineData("""{"id":"p1","type":"icmp","target":"x","intervalSeconds":86401}""", "intervalSeconds must be within")]
    [InlineData("""{"id":"p1","type":"icmp","target":"x","intervalSeconds":-5}""", "intervalSeconds must be within")]
    [InlineData("""{"id":"p1","type":"icmp","target":"x","intervalSeconds":30,"timeoutMs":30001}""", "timeoutMs must be within 100–30000")]
    [InlineData("""{"id":"p1","type":"icmp","target":"x","intervalSeconds":30,"timeoutMs":0}""", "timeoutMs must be within")]
    [InlineData("""{"id":"p1","type":"icmp","target":"","intervalSeconds":30}""", "target must be 1 to 2048")]
    [InlineData("""{"id":"p1","type":"http","target":"http://a/\r\nHost: evil","intervalSeconds":30}""", "control characters")]
    [InlineData("""{"id":"p1","type":"tcp","target":"a\n:80","intervalSeconds":30}""", "control characters")]
    [InlineData("""{"id":"p1","type":"http","target":"file:///etc/passwd","intervalSeconds":30}""", "http:// or https:// URL")]
    [InlineData("""{"id":"p1","type":"http","target":"/etc/passwd","intervalSeconds":30}""", "http:// or https:// URL")]
    [InlineData("""{"id":"p1","type":"http","target":"ftp://example.com/","intervalSeconds":30}""", "http:// or https:// URL")]
    [InlineData("""{"id":"p1","type":"http","target":"javascript:alert(1)","intervalSeconds":30}""", "http:// or https:// URL")]
    [InlineData("""{"id":"p1","type":"http","target":"gopher://127.0.0.1:6379/_FLUSHALL","intervalSeconds":30}""", "http:// or https:// URL")]
    [InlineData("""{"id":"p1","type":"http","target":"http://admin:secret@example.com/","intervalSeconds":30}""", "credentials")]
    [InlineData("""{"id":"p1","type":"http","target":"http://x/","intervalSeconds":30,"keyword":""}""", "keyword must be 1 to 256")]
    [InlineData("""{"id":"p1","type":"http","target":"http://x/","intervalSeconds":30,"keyword":"a\r\nb"}""", "keyword must be")]
    [InlineData("""{"id":"p1","type":"http","target":"http://x/","intervalSeconds":30,"expectStatus":99}""", "expectStatus must be")]
    [InlineData("""{"id":"p1","type":"http","target":"http://x/","intervalSeconds":30,"expectStatus":600}""", "expectStatus must be")]
    [InlineData("""{"id":"p1","type":"tcp","target":"example.com","intervalSeconds":30}""", "host:port")]
    [InlineData("""{"id":"p1","type":"tcp","target":"example.com:0","intervalSeconds":30}""", "host:port")]
    [InlineData("""{"id":"p1","type":"tcp","target":"example.com:65536","intervalSeconds":30}""", "host:port")]
    [InlineData("""{"id":"p1","type":"tcp","target":"::1:443","intervalSeconds":30}""", "[v6]:port for IPv6")]
    [InlineData("""{"id":"p1","type":"tcp","target":"[example.com]:443","intervalSeconds":30}""", "host:port")]
    [InlineData("""{"id":"p1","type":"tcp","target":"a b:80","intervalSeconds":30}""", "host:port")]
    [InlineData("""{"id":"p1","type":"tcp","target":"example.com:+80","intervalSeconds":30}""", "host:port")]
    [InlineData("""{"id":"p1","type":"tcp","target":"example.com:80","intervalSeconds":30,"keyword":"x"}""", "keyword and expectStatus belong to http")]
    [InlineData("""{"id":"p1","type":"icmp","target":"http://example.com","intervalSeconds":30}""", "host name or an IP address")]
    [InlineData("""{"id":"p1","type":"icmp","target":"[::1]","intervalSeconds":30}""", "host name or an IP address")]
    [InlineData("""{"id":"p1","type":"icmp","target":"a/../b","intervalSeconds":30}""", "host name or an IP address")]
    [InlineData("""{"id":"p1","type":"icmp","target":"x","intervalSeconds":30,"dnsServer":"1.1.1.1"}""", "belong to dns probes only")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com:53","intervalSeconds":30}""", "DNS name to resolve")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com","intervalSeconds":30,"dnsServer":"dns.google"}""", "dnsServer must be an IP")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com","intervalSeconds":30,"dnsServer":"10.1"}""", "dnsServer must be an IP")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com","intervalSeconds":30,"dnsServer":"1.1.1.1:99999"}""", "dnsServer must be an IP")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com","intervalSeconds":30,"dnsServer":"9.9.9.9\n"}""", "dnsServer must be an IP")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com","intervalSeconds":30,"dnsServer":" ::1"}""", "dnsServer must be an IP")]
    [InlineData("""{"id":"p1","type":"dns","target":"example.com","intervalSeconds":30,"recordType":"MX"}""", "recordType must be A or AAAA")]
    public void Hostile_or_broken_probes_are_refused_with_the_reason(string json, string reason) =>
        ProbeValidation.Validate(Set(json)).Should().Contain(reason);

    [Fact]
    public void Limits_on_the_whole_set_hold()
    {
        var probe = new ProbeDefinition { Id = "p", Type = ProbeTypes.Icmp, Target = "127.0.0.1", IntervalSeconds = 30 };
        ProbeValidation.Validate(new ProbeSyncParams { Probes = [.. Enumerable.Range(0, 200).Select(i => probe with { Id = $"p{i}" })] }).Should().BeNull();
        ProbeValidation.Validate(new ProbeSyncParams { Probes = [.. Enumerable.Range(0, 201).Select(i => probe with { Id = $"p{i}" })] })
            .Should().Be("at most 200 probes per node");
        ProbeValidation.Validate(new ProbeSyncParams { Probes = [probe, probe] }).Should().Be("probe id p is used twice");
        ProbeValidation.Validate(new ProbeSyncParams { Probes = [probe with { Target = new string('a', 64) + ".com" }] })
            .Should().Contain("host name", "a DNS label is at most 63 characters");
        ProbeValidation.Validate(new ProbeSyncParams { Probes = [probe with { Type = ProbeTypes.Http, Target = "http://x/" + new string('a', 2048) }] })
            .Should().Contain("target must be 1 to 2048");
    }

    [Theory]
    [InlineData("""{"probes":[{"id":1,"type":"icmp","target":"x","intervalSeconds":30}]}""")]
    [InlineData("""{"probes":[{"id":"p","type":"icmp","target":"x","intervalSeconds":1e99}]}""")]
    [InlineData("""{"probes":[{"id":"p","type":"icmp","intervalSeconds":30}]}""")]
    [InlineData("""{"probes":[{"id":"p","type":null,"target":"x","intervalSeconds":30}]}""")]
    [InlineData("""{"probes":{"id":"p"}}""")]
    [InlineData("""{"probes":null}""")]
    [InlineData("""{}""")]
    public void Wrong_types_and_missing_fields_do_not_bind(string json)
    {
        // The binding the Node's method map uses: a JsonException there is answered -32602.
        var act = () => JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.ProbeSyncParams);
        act.Should().Throw<JsonException>();
    }

    [Fact]
    public void A_null_inside_the_list_is_refused_not_dereferenced() =>
        ProbeValidation.Validate(JsonSerializer.Deserialize("""{"probes":[null]}""", ProtocolJsonContext.Default.ProbeSyncParams)!)
            .Should().Be("every probe must be an object");

    [Fact]
    public void Results_on_a_sample_round_trip_and_pass()
    {
        var sample = Sample([Result() with { LatencyMs = 12.5, CertificateExpiresAt = DateTimeOffset.UtcNow.AddDays(5) }, Result() with { Ok = false, Error = "connection refused" }]);
        var json = JsonSerializer.Serialize(sample, ProtocolJsonContext.Default.MetricSample);
        json.Should().Contain("\"probes\":[{\"probeId\":\"p1\"");
        var back = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.MetricSample)!;
        back.Probes.Should().BeEquivalentTo(sample.Probes);
        ProtocolValidation.Validate(back).Should().BeNull();
        ProtocolValidation.Validate(Sample(null)).Should().BeNull("a sample without results is the usual case");
        JsonSerializer.Serialize(Sample(null), ProtocolJsonContext.Default.MetricSample).Should().NotContain("probes");
    }

    [Theory]
    [InlineData(double.NaN, "latencyMs must be within 0–600000")]
    [InlineData(double.PositiveInfinity, "latencyMs must be within")]
    [InlineData(-0.5, "latencyMs must be within")]
    [InlineData(600_000.5, "latencyMs must be within")]
    public void Impossible_latencies_reject_the_sample(double latency, string reason) =>
        ProtocolValidation.Validate(Sample([Result() with { LatencyMs = latency }])).Should().Contain(reason);

    [Fact]
    public void Garbage_results_reject_the_sample()
    {
        ProtocolValidation.Validate(Sample([.. Enumerable.Repeat(Result(), 501)])).Should().Be("at most 500 probe results per sample");
        ProtocolValidation.Validate(Sample([.. Enumerable.Repeat(Result(), 500)])).Should().BeNull();
        ProtocolValidation.Validate(Sample([Result() with { ProbeId = "" }])).Should().Contain("ids");
        ProtocolValidation.Validate(Sample([Result() with { ProbeId = "<script>" }])).Should().Contain("ids");
        ProtocolValidation.Validate(Sample([Result() with { ProbeId = new string('a', 65) }])).Should().Contain("ids");
        ProtocolValidation.Validate(Sample([Result() with { Error = new string('x', 301) }])).Should().Contain("at most 300 characters");
        ProtocolValidation.Validate(Sample([Result() with { Error = "line\r\nforged log line" }])).Should().Contain("control characters");
        ProtocolValidation.Validate(Sample([Result() with { At = DateTimeOffset.UnixEpoch }])).Should().Contain("time out of range");
        ProtocolValidation.Validate(Sample([Result() with { At = DateTimeOffset.UtcNow.AddDays(3) }])).Should().Contain("time out of range");
        ProtocolValidation.Validate(Sample([Result() with { CertificateExpiresAt = new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero) }]))
            .Should().Contain("certificateExpiresAt");
        ProtocolValidation.Validate(Sample([null!])).Should().Contain("must be an object");
    }

    [Theory]
    [InlineData("\"NaN\"")]
    [InlineData("\"-Infinity\"")]
    [InlineData("-1")]
    public void A_latency_the_json_carries_as_a_named_float_or_below_zero_still_fails(string latency)
    {
        // The protocol's web defaults read numbers from strings, "NaN" included: only validation stops it.
        var sample = JsonSerializer.Deserialize($$"""{"seq":1,"timestamp":"{{DateTimeOffset.UtcNow:O}}","probes":[{"probeId":"p","at":"{{DateTimeOffset.UtcNow:O}}","ok":true,"latencyMs":{{latency}}}]}""",
            ProtocolJsonContext.Default.MetricSample)!;
        ProtocolValidation.Validate(sample).Should().Contain("latencyMs must be within");
    }

    private static ProbeSyncParams Set(string probe) => JsonSerializer.Deserialize($$"""{"probes":[{{probe}}]}""", ProtocolJsonContext.Default.ProbeSyncParams)!;

    private static ProbeResult Result() => new() { ProbeId = "p1", At = DateTimeOffset.UtcNow, Ok = true };

    private static MetricSample Sample(IReadOnlyList<ProbeResult>? results) => new() { Seq = 1, Timestamp = DateTimeOffset.UtcNow, Probes = results };
}
