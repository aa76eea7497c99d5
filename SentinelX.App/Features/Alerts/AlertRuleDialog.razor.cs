using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Radzen;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Localization;

namespace SentinelX.App.Features.Alerts;

/// <summary>Creates or edits a rule; the same checks as the API, shown next to each field. Closes with the saved rule.</summary>
public sealed partial class AlertRuleDialog
{
    private static readonly string[] PlacedFields =
    [
        "name", "condition.metric", "condition.threshold", "condition.avgMinutes", "condition.forSeconds", "condition.percent",
        "condition.days", "condition.probeId", "condition.latencyMs", "condition.forwardId", "condition.name",
        "scope", "scope.nodeIds", "scope.tags", "channels", "repeatMinutes",
    ];

    [Parameter] public AlertRuleView? Rule { get; set; }
    [CascadingParameter] private Task<AuthenticationState>? AuthState { get; set; }
    [Inject] private DialogService Dialogs { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private CircuitClient Client { get; set; } = default!;

    private AlertRuleForm form = new();
    private Dictionary<string, string[]> errors = [];
    private string? problem;
    private bool busy;
    private List<Choice> nodes = [];
    private List<Choice> channels = [];
    private List<(string Id, string Name)> probes = [];
    private List<ForwardRule> forwards = [];

    public sealed record Choice(string Id, string Name);

    public static async Task<AlertRuleView?> OpenAsync(DialogService dialogs, UiText t, AlertRuleView? rule) =>
        await dialogs.OpenAsync<AlertRuleDialog>(
            rule is null ? t["New alert rule"] : t.Format("Edit {0}", rule.Name),
            new Dictionary<string, object?> { ["Rule"] = rule },
            new DialogOptions { Width = "min(40rem, 96vw)", CloseDialogOnOverlayClick = false }) as AlertRuleView;

    protected override async Task OnInitializedAsync()
    {
        form = Rule is null ? new AlertRuleForm() : AlertRuleForm.From(Rule);
        nodes = [.. Registry.All.OrderBy(n => n.Name, StringComparer.CurrentCultureIgnoreCase).Select(n => new Choice(n.Id, n.Name))];
        forwards = [.. ForwardRules.Rules().OrderBy(r => r.Name, StringComparer.CurrentCultureIgnoreCase)];
        var (channelList, probeList) = await Rules.ChoicesAsync(CancellationToken.None);
        channels = [.. channelList.Select(c => new Choice(c.Id, c.Name))];
        // A channel deleted since the rule was saved is dropped from the choice, not reported as unknown.
        form.Channels = [.. form.Channels.Where(id => channels.Exists(c => c.Id == id))];
        probes = [.. probeList];
    }

    private IEnumerable<KeyValuePair<string, string>> Unplaced =>
        errors.Where(e => !PlacedFields.Contains(e.Key)).Select(e => new KeyValuePair<string, string>(e.Key, string.Join(" ", e.Value)));

    private RenderFragment? Error(string field) => errors.TryGetValue(field, out var messages)
        ? builder =>
        {
            builder.OpenElement(0, "span");
            builder.AddAttribute(1, "class", "validation-message");
            builder.AddAttribute(2, "data-testid", "alert-error-" + field);
            builder.AddContent(3, string.Join(" ", messages));
            builder.CloseElement();
        }
        : null;

    private string MetricLabel(string metric) => metric switch
    {
        "cpuPercent" => T["CPU %"],
        "memPercent" => T["Memory %"],
        "swapPercent" => T["Swap %"],
        "diskPercent" => T["Disk %"],
        "load1" => T["Load (1 min)"],
        "load5" => T["Load (5 min)"],
        "load15" => T["Load (15 min)"],
        "netRxBps" => T["Network in (bytes/s)"],
        "netTxBps" => T["Network out (bytes/s)"],
        "tcpConnections" => T["TCP connections"],
        "processes" => T["Processes"],
        "temperature" => T["Hottest temperature (°C)"],
        _ => metric,
    };

    private async Task SaveAsync()
    {
        problem = null;
        errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        // The dialog opens only for operators; a crafted circuit message must still be refused here.
        if (!await CircuitAuthorization.IsAllowedAsync(Authorization, AuthState, Policies.Operator))
        {
            problem = T["Your role does not allow changing alert rules."];
            return;
        }

        var input = form.Parse(errors);
        if (input is null) return;
        busy = true;
        try
        {
            if (await Rules.UnknownChannelsAsync(input, CancellationToken.None) is { Count: > 0 } unknown)
            {
                errors["channels"] = [T.Format("No such channel: {0}", string.Join(", ", unknown))];
                return;
            }

            var actor = AuditActor.From((await AuthState!).User, Client.Address);
            var saved = Rule is null
                ? await Rules.CreateAsync(input, actor, CancellationToken.None)
                : await Rules.UpdateAsync(Rule.Id, input, actor, CancellationToken.None);
            if (saved is null)
            {
                problem = T["This rule was deleted meanwhile."];
                return;
            }

            Dialogs.Close(saved);
        }
        finally
        {
            busy = false;
        }
    }
}
