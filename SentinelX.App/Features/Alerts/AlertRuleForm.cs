using System.Text.Json;
using System.Text.Json.Nodes;

namespace SentinelX.App.Features.Alerts;

/// <summary>
/// What the rule dialog edits. It turns into the API's JSON body, so the dialog's rules are checked
/// by the same <see cref="AlertRuleInput.Parse"/> as the API's, with the same messages per field.
/// </summary>
public sealed class AlertRuleForm
{
    public string Name { get; set; } = "";
    public string Severity { get; set; } = "warning";
    public bool Enabled { get; set; } = true;

    /// <summary>"all", "nodes" or "tags".</summary>
    public string ScopeMode { get; set; } = "all";

    public IEnumerable<string> NodeIds { get; set; } = [];

    /// <summary>Comma-separated.</summary>
    public string Tags { get; set; } = "";

    public string Kind { get; set; } = MetricCondition.KindName;
    public string Metric { get; set; } = "cpuPercent";
    public string Op { get; set; } = ">";
    public double? Threshold { get; set; } = 90;

    /// <summary>"for" (held for seconds) or "avg" (averaged over minutes).</summary>
    public string HoldMode { get; set; } = "for";

    public int? ForSeconds { get; set; } = 60;
    public int? AvgMinutes { get; set; } = 5;
    public int? OfflineSeconds { get; set; } = 60;
    public double? TrafficPercent { get; set; } = 90;
    public string Direction { get; set; } = "sum";
    public int? ExpiryDays { get; set; } = 7;
    public string ProbeId { get; set; } = "";

    /// <summary>"failures" or "latency".</summary>
    public string ProbeMode { get; set; } = "failures";

    public int? Checks { get; set; } = 3;
    public double? LatencyMs { get; set; } = 500;
    public int? CertificateDays { get; set; } = 14;
    public string ForwardId { get; set; } = "";
    public string ContainerName { get; set; } = "";
    public IEnumerable<string> Channels { get; set; } = [];
    public int? RepeatMinutes { get; set; } = 0;
    public bool Muted { get; set; }

    public static AlertRuleForm From(AlertRuleView rule)
    {
        var form = new AlertRuleForm
        {
            Name = rule.Name,
            Severity = rule.Severity,
            Enabled = rule.Enabled,
            Channels = [.. rule.Channels],
            RepeatMinutes = rule.RepeatMinutes,
            Muted = rule.Muted,
        };
        var scope = AlertScope.FromStored(rule.Scope.ToJsonString());
        form.ScopeMode = scope.All ? "all" : scope.NodeIds.Count > 0 ? "nodes" : "tags";
        form.NodeIds = [.. scope.NodeIds];
        form.Tags = string.Join(", ", scope.Tags);
        form.Kind = rule.Condition["kind"]?.GetValue<string>() ?? MetricCondition.KindName;
        switch (AlertCondition.FromStored(rule.Condition.ToJsonString()))
        {
            case MetricCondition m:
                (form.Metric, form.Op, form.Threshold) = (m.Metric, m.Op, m.Threshold);
                form.HoldMode = m.AvgMinutes is null ? "for" : "avg";
                form.ForSeconds = m.ForSeconds ?? form.ForSeconds;
                form.AvgMinutes = m.AvgMinutes ?? form.AvgMinutes;
                break;
            case OfflineCondition o: form.OfflineSeconds = o.ForSeconds; break;
            case TrafficCondition t: (form.TrafficPercent, form.Direction) = (t.Percent, t.Direction); break;
            case ExpiryCondition e: form.ExpiryDays = e.Days; break;
            case ProbeCondition p:
                (form.ProbeId, form.Checks) = (p.ProbeId, p.Checks);
                form.ProbeMode = p.LatencyMs is null ? "failures" : "latency";
                form.LatencyMs = p.LatencyMs ?? form.LatencyMs;
                break;
            case CertificateCondition c: (form.ProbeId, form.CertificateDays) = (c.ProbeId, c.Days); break;
            case ForwardCondition f: form.ForwardId = f.ForwardId; break;
            case ContainerCondition c: form.ContainerName = c.Name; break;
        }

        return form;
    }

    /// <summary>The API body for this form.</summary>
    public JsonObject ToJson()
    {
        var scope = ScopeMode switch
        {
            "nodes" => (JsonObject) new JsonObject { ["nodeIds"] = new JsonArray([.. NodeIds.Select(id => JsonValue.Create(id))]) },
            "tags" => new JsonObject { ["tags"] = new JsonArray([.. Tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => JsonValue.Create(t))]) },
            _ => new JsonObject { ["all"] = true },
        };
        var condition = new JsonObject { ["kind"] = Kind };
        switch (Kind)
        {
            case MetricCondition.KindName:
                condition["metric"] = Metric;
                condition["op"] = Op;
                condition["threshold"] = Threshold;
                if (HoldMode == "avg") condition["avgMinutes"] = AvgMinutes;
                else condition["forSeconds"] = ForSeconds ?? 0;
                break;
            case OfflineCondition.KindName: condition["forSeconds"] = OfflineSeconds; break;
            case TrafficCondition.KindName:
                condition["percent"] = TrafficPercent;
                condition["direction"] = Direction;
                break;
            case ExpiryCondition.KindName: condition["days"] = ExpiryDays; break;
            case ProbeCondition.KindName:
                condition["probeId"] = ProbeId;
                if (ProbeMode == "latency")
                {
                    condition["latencyMs"] = LatencyMs;
                    condition["checks"] = Checks;
                }
                else
                {
                    condition["failures"] = Checks;
                }

                break;
            case CertificateCondition.KindName:
                condition["probeId"] = ProbeId;
                condition["days"] = CertificateDays;
                break;
            case ForwardCondition.KindName: condition["forwardId"] = ForwardId; break;
            case ContainerCondition.KindName: condition["name"] = ContainerName; break;
        }

        return new JsonObject
        {
            ["name"] = Name,
            ["enabled"] = Enabled,
            ["scope"] = scope,
            ["condition"] = condition,
            ["severity"] = Severity,
            ["channels"] = new JsonArray([.. Channels.Select(c => JsonValue.Create(c))]),
            ["repeatMinutes"] = RepeatMinutes ?? 0,
            ["muted"] = Muted,
        };
    }

    /// <summary>Checks the form the way the API checks a body; errors by the API's field names.</summary>
    public AlertRuleInput? Parse(Dictionary<string, string[]> errors)
    {
        using var document = JsonDocument.Parse(ToJson().ToJsonString());
        return AlertRuleInput.Parse(document.RootElement, errors);
    }
}
