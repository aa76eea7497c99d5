using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Radzen;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Nodes;

namespace SentinelX.App.Features.Forwards;

/// <summary>
/// Creates or edits a rule. It saves by itself, so the service's refusals (a port in use, a loop)
/// appear next to their fields while the dialog stays open; it closes with the saved rule.
/// </summary>
public sealed partial class ForwardEditDialog
{
    // Fields the form shows next to an input; any other field the service names goes to the top.
    private static readonly string[] PlacedFields =
    [
        "name", "nodeId", "protocol", "listenAddress", "listenPort", "targets", "balance", "mode", "chain",
        "bandwidthMbps", "maxConnections", "quotaBytes", "resetDay", "quotaAction", "quotaThrottleMbps",
        "proxyProtocol", "udpIdleSeconds",
    ];

    private static readonly string[] AdvancedFields = ["proxyProtocol", "udpIdleSeconds"];

    [Parameter] public ForwardView? Rule { get; set; }
    [CascadingParameter] private Task<AuthenticationState>? AuthState { get; set; }
    [Inject] private DialogService Dialogs { get; set; } = default!;
    [Inject] private ForwardService Forwards { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private CircuitClient Client { get; set; } = default!;

    private ForwardForm form = new();
    private List<NodeChoice> nodes = [];
    private Dictionary<string, string> errors = new(StringComparer.OrdinalIgnoreCase);
    private Dictionary<string, string> serverErrors = new(StringComparer.OrdinalIgnoreCase);
    private NodeFailure? problem;
    private bool busy;

    /// <summary>Opens the dialog for a new rule (<paramref name="rule"/> null) or an existing one; the saved rule, or null when cancelled.</summary>
    public static async Task<ForwardView?> OpenAsync(DialogService dialogs, UiText t, ForwardView? rule)
    {
        var result = await dialogs.OpenAsync<ForwardEditDialog>(
            rule is null ? t["New forward"] : t.Format("Edit {0}", rule.Name),
            new Dictionary<string, object?> { ["Rule"] = rule },
            new DialogOptions { Width = "min(46rem, 96vw)", CloseDialogOnOverlayClick = false, Resizable = false });
        return result as ForwardView;
    }

    protected override void OnInitialized()
    {
        nodes = [.. Registry.All.OrderBy(n => n.Name, StringComparer.CurrentCultureIgnoreCase)
            .Select(n => new NodeChoice(n.Id, n.Online ? n.Name : T.Format("{0} (offline)", n.Name)))];
        form = Rule is null ? new ForwardForm() : ForwardForm.From(Rule);
        if (Rule is null) return;
        // A rule may still name a Node that was removed since: keep it choosable so the form shows what is saved.
        foreach (var (id, name) in Rule.Chain.Select(h => (h.NodeId, h.NodeName)).Prepend((Rule.NodeId, Rule.NodeName)))
        {
            if (id.Length > 0 && !nodes.Exists(c => c.Id == id)) nodes.Add(new NodeChoice(id, T.Format("{0} (removed)", name)));
        }
    }

    /// <summary>The form's own messages first; the service's for fields the form found nothing wrong with.</summary>
    private Dictionary<string, string> AllErrors
    {
        get
        {
            var all = new Dictionary<string, string>(serverErrors, StringComparer.OrdinalIgnoreCase);
            foreach (var (name, message) in errors) all[name] = message;
            return all;
        }
    }

    private IEnumerable<KeyValuePair<string, string>> UnplacedErrors =>
        serverErrors.Where(e => !PlacedFields.Contains(e.Key, StringComparer.OrdinalIgnoreCase)
                                && !e.Key.StartsWith("chain[", StringComparison.OrdinalIgnoreCase));

    private bool AdvancedHasErrors => AdvancedFields.Any(AllErrors.ContainsKey);

    private RenderFragment? Error(string field) => AllErrors.TryGetValue(field, out var message)
        ? builder =>
        {
            builder.OpenElement(0, "span");
            builder.AddAttribute(1, "class", "validation-message");
            builder.AddAttribute(2, "data-testid", "forward-error-" + field);
            builder.AddContent(3, message);
            builder.CloseElement();
        }
        : null;

    private async Task SaveAsync()
    {
        problem = null;
        serverErrors = new(StringComparer.OrdinalIgnoreCase);
        errors = form.Validate(T);
        if (errors.Count > 0) return;

        // The dialog only opens for operators, but a crafted circuit message must still be refused here.
        if (!await CircuitAuthorization.IsAllowedAsync(Authorization, AuthState, Policies.Operator))
        {
            problem = new NodeFailure(NodeFailureKind.Forbidden, T["Not allowed"], T["Your role does not allow changing forwards."]);
            return;
        }

        busy = true;
        try
        {
            var actor = AuditActor.From((await AuthState!).User, Client.Address);
            var input = form.ToInput();
            var saved = Rule is null
                ? await Forwards.CreateAsync(input, actor)
                : await Forwards.UpdateAsync(Rule.Id, input, actor);
            if (!saved.Succeeded)
            {
                problem = saved.Failure;
                serverErrors = ServerErrors(saved.Failure);
                return;
            }
            Dialogs.Close(saved.Value);
        }
        finally
        {
            busy = false;
        }
    }

    // The API names fields in camelCase and hops as chain[1].transport; a field may carry several messages.
    private static Dictionary<string, string> ServerErrors(NodeFailure refused)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, messages) in refused.Errors ?? new Dictionary<string, string[]>())
        {
            var key = name.Length > 0 ? char.ToLowerInvariant(name[0]) + name[1..] : name;
            result[key] = string.Join(" ", messages);
        }
        return result;
    }
}
