using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.JSInterop;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;

using SentinelX.App.Ui;

namespace SentinelX.App.Features.Dashboard;

public sealed partial class Dashboard
{
    private const string Cards = "cards";
    private const string Table = "table";
    private const int CardMinWidth = 300;
    private const int CardGap = 12;
    private const int PrerenderedRows = 20;
    private const int PrerenderedCardRows = 5;

    private static readonly string[] TableColumns = ["name", "status", "cpu", "memory", "disk", "network", "traffic", "uptime", "load"];

    private readonly FleetView fleet = new();
    private readonly List<int> cardRows = [];
    private Func<NodeState, MonthTraffic> trafficOf = default!;
    private LiveRefresh? live;
    private ElementReference root;
    private IJSObjectReference? module;
    private IJSObjectReference? widthObserver;
    private DotNetObjectReference<Dashboard>? self;
    private string view = Cards;

    // A guess until the browser reports the real width: three cards on a desktop.
    private int columns = 3;

    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        trafficOf = TrafficMeter.Get;
        Refresh();
        live = FleetRefresh.Create(Registry, TrafficMeter, RenderLiveAsync, e => _ = DispatchExceptionAsync(e));
        Clock.Changed += live.Poke;
        view = await LoadViewAsync() ?? Cards;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender) return;
        self = DotNetObjectReference.Create(this);
        module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/dashboard.js");
        widthObserver = await module.InvokeAsync<IJSObjectReference>("observeWidth", root, self);
    }

    /// <summary>Called by the browser when the dashboard's width changes.</summary>
    [JSInvokable]
    public void SetWidth(int width)
    {
        var fit = Math.Max(1, (width + CardGap) / (CardMinWidth + CardGap));
        if (fit == columns) return;
        columns = fit;
        Refresh();
        StateHasChanged();
    }

    private Task RenderLiveAsync() => InvokeAsync(() =>
    {
        Refresh();
        StateHasChanged();
    });

    private void Refresh()
    {
        fleet.Refresh(Registry.All, trafficOf);
        var rows = (fleet.Rows.Count + columns - 1) / columns;
        if (cardRows.Count > rows) cardRows.RemoveRange(rows, cardRows.Count - rows);
        while (cardRows.Count < rows) cardRows.Add(cardRows.Count);
    }

    private void Filter(Action change)
    {
        change();
        Refresh();
    }

    private void OnSearch(ChangeEventArgs e) => Filter(() => fleet.Search = V(e));

    private static string V(ChangeEventArgs e) => e.Value?.ToString() ?? "";

    private async Task SetViewAsync(string choice)
    {
        if (choice is not (Cards or Table)) return;
        // Checked again here: a crafted circuit message must not act for someone who may not see the page.
        var user = (await AuthState).User;
        if (!(await Authorization.AuthorizeAsync(user, Policies.Viewer)).Succeeded) return;
        if (user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id) return;
        view = choice;
        Refresh();
        await using var db = await DbFactory.CreateDbContextAsync();
        await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.DashboardView, choice));
    }

    private async Task<string?> LoadViewAsync()
    {
        var user = (await AuthState).User;
        if (user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id) return null;
        await using var db = await DbFactory.CreateDbContextAsync();
        var saved = await db.Users.Where(u => u.Id == id).Select(u => u.DashboardView).FirstOrDefaultAsync();
        return saved is Cards or Table ? saved : null;
    }

    private string ColumnName(string key) => key switch
    {
        "name" => T["Name"],
        "status" => T["Status"],
        "region" => T["Region"],
        "group" => T["Group"],
        "cpu" => T["CPU"],
        "memory" => T["Memory"],
        "disk" => T["Disk"],
        "network" => T["Network"],
        "traffic" => T["This month"],
        "uptime" => T["Uptime"],
        "load" => T["Load"],
        _ => key,
    };

    private static string ColumnClass(string key) => key switch
    {
        "status" or "memory" or "disk" or "traffic" or "uptime" or "load" => "sx-opt",
        _ => "",
    };

    private string SortMark(string key) => fleet.SortBy != key ? "" : fleet.Descending ? " ↓" : " ↑";

    private string? AriaSort(string key) => fleet.SortBy != key ? null : fleet.Descending ? "descending" : "ascending";

    public async ValueTask DisposeAsync()
    {
        if (live is not null)
        {
            Clock.Changed -= live.Poke;
            live.Dispose();
        }
        try
        {
            if (widthObserver is not null)
            {
                await widthObserver.InvokeVoidAsync("dispose");
                await widthObserver.DisposeAsync();
            }
            if (module is not null) await module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The browser is gone; nothing left to clean up there.
        }
        self?.Dispose();
    }
}
