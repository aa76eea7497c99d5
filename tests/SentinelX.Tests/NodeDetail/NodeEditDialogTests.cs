using AngleSharp.Dom;
using Bunit;
using FluentAssertions;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Radzen;
using Radzen.Blazor;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.NodeDetail;
using SentinelX.App.Features.Nodes;
using SentinelX.Tests.Hosting;
using SentinelX.Tests.Ui;
using Xunit;

namespace SentinelX.Tests.NodeDetail;

/// <summary>The Node edit form's billing and quota fields: what it shows, what it saves, and its messages for values the API refuses.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class NodeEditDialogTests : ComponentTest
{
    private const long GiB = 1L << 30, TiB = 1L << 40;

    private Task<dynamic?>? _closed;

    /// <summary>Opens the form as the Node page does, in a dialog host, so saving closes it with the changes.</summary>
    private async Task<IRenderedComponent<NodeEditDialog>> FormAsync(Action<NodeRecord>? edit = null)
    {
        var node = await Ui.AddNodeAsync("n1", "web-1", edit);
        Ui.SignIn(Roles.Operator);
        var host = Ui.Render<RadzenDialog>();
        _closed = Ui.Services.GetRequiredService<DialogService>().OpenAsync<NodeEditDialog>("Edit Node", new Dictionary<string, object?> { ["Node"] = node });
        host.WaitForState(() => host.FindComponents<NodeEditDialog>().Count == 1);
        return host.FindComponent<NodeEditDialog>();
    }

    private async Task<NodeChanges> ClosedWithAsync()
    {
        object? result = await _closed!.WaitAsync(TimeSpan.FromSeconds(10));
        return result.Should().BeOfType<NodeChanges>().Subject;
    }

    private bool StillOpen => !_closed!.IsCompleted;

    // Radzen puts the test id on the input itself or on a wrapper around it.
    private static IElement Field(IRenderedComponent<NodeEditDialog> form, string name)
    {
        var element = form.Find($"[data-testid=edit-{name}]");
        return element.LocalName is "input" or "textarea" or "select" ? element : element.QuerySelector("input, textarea")!;
    }

    private static Task SetAsync(IRenderedComponent<NodeEditDialog> form, string name, object value) =>
        Field(form, name).ChangeAsync(new ChangeEventArgs { Value = value });

    private static string? Error(IRenderedComponent<NodeEditDialog> form, string field) =>
        form.FindAll($"[data-testid='edit-error-{field}']").SingleOrDefault()?.TextContent;

    private static Task SaveAsync(IRenderedComponent<NodeEditDialog> form) => form.Find("[data-testid=edit-save]").ClickAsync(new MouseEventArgs());

    [Fact]
    public async Task The_form_shows_the_stored_billing_and_quota()
    {
        var form = await FormAsync(r =>
        {
            (r.BillingPrice, r.BillingCurrency, r.BillingCycle, r.AutoRenew) = (60m, "USD", "yearly", true);
            r.ExpiresAt = new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
            r.TrafficQuotaBytes = 2 * TiB;
        });

        Field(form, "price").GetAttribute("value").Should().Be("60");
        Field(form, "currency").GetAttribute("value").Should().Be("USD");
        Field(form, "cycle").GetAttribute("value").Should().Be("yearly");
        Field(form, "expires").GetAttribute("value").Should().Be("2027-03-01");
        Field(form, "auto-renew").HasAttribute("checked").Should().BeTrue();
        Field(form, "quota").GetAttribute("value").Should().Be("2");
        Field(form, "quota-unit").GetAttribute("value").Should().Be("TiB");
    }

    [Fact]
    public async Task Billing_and_quota_are_saved_as_the_api_takes_them()
    {
        var form = await FormAsync();

        await SetAsync(form, "price", "12.5");
        await SetAsync(form, "currency", "eur");
        await SetAsync(form, "cycle", "quarterly");
        await SetAsync(form, "expires", "2027-01-31");
        await SetAsync(form, "auto-renew", true);
        await SetAsync(form, "quota", "500");
        await SaveAsync(form);

        var changes = await ClosedWithAsync();
        changes.Validate().Should().BeEmpty();
        changes.TrafficQuotaBytes.Should().Be(500 * GiB);
        var billing = changes.Billing!.ToBilling();
        billing.Should().Be(new NodeBilling(12.5m, "EUR", "quarterly", new DateTimeOffset(2027, 1, 31, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), true));
        billing.MonthlyCost.Should().Be(4.17m);
    }

    [Fact]
    public async Task Empty_fields_clear_the_billing_and_the_quota()
    {
        var form = await FormAsync(r => (r.BillingPrice, r.BillingCycle, r.TrafficQuotaBytes) = (5m, "monthly", 10 * GiB));

        await SetAsync(form, "price", "");
        await SetAsync(form, "cycle", "");
        await SetAsync(form, "quota", "");
        await SaveAsync(form);

        var changes = await ClosedWithAsync();
        changes.Billing!.ToBilling().Should().Be(NodeBilling.None);
        changes.TrafficQuotaBytes.Should().Be(0, "0 removes the quota");
    }

    [Theory]
    [InlineData("currency", "US1", "billing.currency", "Use a three-letter currency code such as USD, EUR or CNY.")]
    [InlineData("currency", "<b>", "billing.currency", "Use a three-letter currency code such as USD, EUR or CNY.")]
    [InlineData("expires", "1999-12-31", "billing.expiresAt", "Pick a date between 2000 and 2200.")]
    [InlineData("quota", "99999999999", "trafficQuotaBytes", "The quota must be from 0 to 1 EiB.")]
    public async Task A_value_the_api_refuses_is_named_and_nothing_is_saved(string field, string value, string errorField, string message)
    {
        var form = await FormAsync();

        await SetAsync(form, "cycle", "monthly");
        if (field == "quota") await SetAsync(form, "quota-unit", "TiB");
        await SetAsync(form, field, value);
        await SaveAsync(form);

        Error(form, errorField).Should().Be(message);
        StillOpen.Should().BeTrue();
    }

    [Fact]
    public async Task A_price_needs_its_cycle_and_the_message_speaks_chinese()
    {
        var form = await FormAsync();
        Ui.Speak("zh-CN");

        await SetAsync(form, "price", "9");
        await SaveAsync(form);

        Error(form, "billing.cycle").Should().Be(T["Choose how often the price is paid."]).And.NotContain("Choose");
        form.Find("[data-testid=edit-billing] legend").TextContent.Should().Be(T["Billing"]).And.NotBe("Billing");
        StillOpen.Should().BeTrue();
    }
}
