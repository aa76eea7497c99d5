using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SentinelX.App.Features.Alerts;

/// <summary>
/// What a rule watches. The JSON shapes are the API's contract:
/// <c>{"kind":"metric","metric":"cpuPercent","op":">","threshold":80,"forSeconds":30}</c> (or
/// <c>"avgMinutes":5</c> instead of <c>forSeconds</c>), <c>{"kind":"offline","forSeconds":30}</c>,
/// <c>{"kind":"traffic","percent":90,"direction":"in|out|sum"}</c>, <c>{"kind":"expiry","days":7}</c>,
/// <c>{"kind":"probe","probeId","failures":3}</c> or <c>{…,"latencyMs":500,"checks":3}</c>,
/// <c>{"kind":"certificate","probeId","days":14}</c>, <c>{"kind":"forward","forwardId"}</c>,
/// <c>{"kind":"container","name"}</c>.
/// </summary>
public abstract record AlertCondition
{
    public abstract string Kind { get; }

    /// <summary>The condition as the API shows it (and as it is stored).</summary>
    public abstract JsonObject ToJson();

    /// <summary>
    /// Parses and checks a condition. Every problem is reported under <c>condition.*</c> so the API
    /// can answer one validation problem; null with errors when the input is unusable.
    /// </summary>
    public static AlertCondition? Parse(JsonElement json, IDictionary<string, string[]> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors["condition"] = ["must be an object with a \"kind\""];
            return null;
        }

        var read = new FieldReader(json, "condition", errors);
        var kind = read.String("kind", required: true, maxLength: 20);
        var condition = kind switch
        {
            MetricCondition.KindName => (AlertCondition?)MetricCondition.Read(read),
            OfflineCondition.KindName => new OfflineCondition(read.Int("forSeconds", 5, 86_400) ?? 60),
            TrafficCondition.KindName => TrafficCondition.Read(read),
            ExpiryCondition.KindName => new ExpiryCondition(read.Int("days", 0, 3650, required: true) ?? 0),
            ProbeCondition.KindName => ProbeCondition.Read(read),
            CertificateCondition.KindName => new CertificateCondition(read.Id("probeId"), read.Int("days", 0, 3650, required: true) ?? 0),
            ForwardCondition.KindName => new ForwardCondition(read.Id("forwardId")),
            ContainerCondition.KindName => ContainerCondition.Read(read),
            null => null,
            _ => Unknown(errors),
        };
        return errors.Count == 0 ? condition : null;
    }

    /// <summary>Reads a stored condition (validated when it was saved).</summary>
    public static AlertCondition FromStored(string json)
    {
        var errors = new Dictionary<string, string[]>();
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement, errors)
               ?? throw new InvalidOperationException($"stored alert condition is invalid: {string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))}");
    }

    private static AlertCondition? Unknown(IDictionary<string, string[]> errors)
    {
        errors["condition.kind"] = ["must be one of metric, offline, traffic, expiry, probe, certificate, forward, container"];
        return null;
    }
}

/// <summary>A metric above or below a threshold, held for <see cref="ForSeconds"/> or averaged over <see cref="AvgMinutes"/>.</summary>
public sealed record MetricCondition(string Metric, string Op, double Threshold, int? ForSeconds, int? AvgMinutes) : AlertCondition
{
    public const string KindName = "metric";

    /// <summary>The metrics a rule can watch; <c>temperature</c> is the hottest sensor, <c>temperature:NAME</c> one sensor.</summary>
    public static readonly IReadOnlyList<string> Metrics =
    [
        "cpuPercent", "memPercent", "swapPercent", "diskPercent", "load1", "load5", "load15",
        "netRxBps", "netTxBps", "tcpConnections", "processes", "temperature",
    ];

    public override string Kind => KindName;

    public bool Above => Op == ">";

    public bool Breaches(double value) => Above ? value > Threshold : value < Threshold;

    public override JsonObject ToJson()
    {
        var json = new JsonObject { ["kind"] = Kind, ["metric"] = Metric, ["op"] = Op, ["threshold"] = Threshold };
        if (AvgMinutes is { } avg) json["avgMinutes"] = avg;
        else json["forSeconds"] = ForSeconds ?? 0;
        return json;
    }

    internal static MetricCondition? Read(FieldReader read)
    {
        var metric = read.String("metric", required: true, maxLength: 80);
        if (metric is not null && !IsKnown(metric))
            read.Fail("metric", $"must be one of {string.Join(", ", Metrics)} (or temperature:SENSOR)");
        var op = read.String("op", required: true, maxLength: 2);
        if (op is not null and not (">" or "<")) read.Fail("op", "must be \">\" or \"<\"");
        var threshold = read.Number("threshold", required: true);
        var forSeconds = read.Int("forSeconds", 0, 86_400);
        var avgMinutes = read.Int("avgMinutes", 1, 1440);
        if (forSeconds is not null && avgMinutes is not null) read.Fail("avgMinutes", "give forSeconds or avgMinutes, not both");
        return metric is null || op is null || threshold is null ? null : new MetricCondition(metric, op, threshold.Value, avgMinutes is null ? forSeconds ?? 0 : null, avgMinutes);
    }

    private static bool IsKnown(string metric) =>
        Metrics.Contains(metric, StringComparer.Ordinal)
        || (metric.StartsWith("temperature:", StringComparison.Ordinal) && metric.Length is > 12 and <= 80 && !metric.Any(char.IsControl));
}

/// <summary>The Node has not been connected for <see cref="ForSeconds"/>.</summary>
public sealed record OfflineCondition(int ForSeconds) : AlertCondition
{
    public const string KindName = "offline";
    public override string Kind => KindName;
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["forSeconds"] = ForSeconds };
}

/// <summary>This month's traffic (in, out, or both) is at least <see cref="Percent"/> of the Node's quota.</summary>
public sealed record TrafficCondition(double Percent, string Direction) : AlertCondition
{
    public const string KindName = "traffic";
    public override string Kind => KindName;
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["percent"] = Percent, ["direction"] = Direction };

    internal static TrafficCondition Read(FieldReader read)
    {
        var percent = read.Number("percent", required: true);
        if (percent is <= 0 or > 1000) read.Fail("percent", "must be above 0 and at most 1000");
        var direction = read.String("direction", maxLength: 3) ?? "sum";
        if (direction is not ("in" or "out" or "sum")) read.Fail("direction", "must be in, out or sum");
        return new TrafficCondition(percent ?? 0, direction);
    }
}

/// <summary>The Node's paid period ends within <see cref="Days"/> days (or has ended).</summary>
public sealed record ExpiryCondition(int Days) : AlertCondition
{
    public const string KindName = "expiry";
    public override string Kind => KindName;
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["days"] = Days };
}

/// <summary>
/// A probe failed <see cref="Checks"/> times in a row on a Node, or (with <see cref="LatencyMs"/>)
/// answered slower than that, or failed, <see cref="Checks"/> times in a row.
/// </summary>
public sealed record ProbeCondition(string ProbeId, int Checks, double? LatencyMs) : AlertCondition
{
    public const string KindName = "probe";
    public override string Kind => KindName;

    public override JsonObject ToJson()
    {
        var json = new JsonObject { ["kind"] = Kind, ["probeId"] = ProbeId };
        if (LatencyMs is { } latency)
        {
            json["latencyMs"] = latency;
            json["checks"] = Checks;
        }
        else
        {
            json["failures"] = Checks;
        }

        return json;
    }

    internal static ProbeCondition Read(FieldReader read)
    {
        var probeId = read.Id("probeId");
        var latency = read.Number("latencyMs");
        if (latency is <= 0 or > 600_000) read.Fail("latencyMs", "must be above 0 and at most 600000");
        var failures = read.Int("failures", 1, 100);
        var checks = read.Int("checks", 1, 100);
        return new ProbeCondition(probeId, checks ?? failures ?? 3, latency);
    }
}

/// <summary>An HTTPS probe's certificate expires within <see cref="Days"/> days.</summary>
public sealed record CertificateCondition(string ProbeId, int Days) : AlertCondition
{
    public const string KindName = "certificate";
    public override string Kind => KindName;
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["probeId"] = ProbeId, ["days"] = Days };
}

/// <summary>A forward rule is in <c>error</c> or <c>quota-blocked</c> on a Node it runs on.</summary>
public sealed record ForwardCondition(string ForwardId) : AlertCondition
{
    public const string KindName = "forward";
    public override string Kind => KindName;
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["forwardId"] = ForwardId };
}

/// <summary>A Docker container of this name is not running (stopped, exited, or gone).</summary>
public sealed record ContainerCondition(string Name) : AlertCondition
{
    public const string KindName = "container";
    public override string Kind => KindName;
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["name"] = Name };

    internal static ContainerCondition Read(FieldReader read)
    {
        var name = read.String("name", required: true, maxLength: 128) ?? "";
        // Docker's own rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, optionally with the leading slash it prints.
        var bare = name.TrimStart('/');
        if (bare.Length == 0 || !char.IsAsciiLetterOrDigit(bare[0]) || bare.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')))
            read.Fail("name", "must be a Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
        return new ContainerCondition(bare);
    }
}

/// <summary>Reads typed fields of one JSON object, collecting errors under <c>{prefix}.{field}</c>.</summary>
internal sealed class FieldReader(JsonElement json, string prefix, IDictionary<string, string[]> errors)
{
    public void Fail(string field, string message) => errors[$"{prefix}.{field}"] = [message];

    public string? String(string field, bool required = false, int maxLength = 200)
    {
        if (!json.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) Fail(field, "is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(field, "must be a string");
            return null;
        }

        var text = value.GetString()!;
        if (text.Length > maxLength) Fail(field, $"must be at most {maxLength} characters");
        else if (text.Any(char.IsControl)) Fail(field, "must not contain control characters");
        else if (required && string.IsNullOrWhiteSpace(text)) Fail(field, "is required");
        else return text;
        return null;
    }

    /// <summary>A required id of another object (probe, forward): short and plain.</summary>
    public string Id(string field)
    {
        var id = String(field, required: true, maxLength: 64) ?? "";
        if (id.Length > 0 && !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            Fail(field, "must be an id (letters, digits, - and _)");
        return id;
    }

    public double? Number(string field, bool required = false)
    {
        if (!json.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) Fail(field, "is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number) || Math.Abs(number) > 1e15)
        {
            Fail(field, "must be a finite number");
            return null;
        }

        return number;
    }

    public int? Int(string field, int min, int max, bool required = false)
    {
        var number = Number(field, required);
        if (number is null) return null;
        if (number != Math.Floor(number.Value) || number < min || number > max)
        {
            Fail(field, string.Create(CultureInfo.InvariantCulture, $"must be a whole number from {min} to {max}"));
            return null;
        }

        return (int)number.Value;
    }
}
