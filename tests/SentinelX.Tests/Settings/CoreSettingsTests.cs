using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SentinelX.App.Features.Install;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Settings;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.Settings;

[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class CoreSettingsTests : IAsyncLifetime
{
    private readonly SqliteDatabases _databases = new();
    private TestDbFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _factory = new TestDbFactory(await _databases.CreateAsync());
        await using var db = _factory.CreateDbContext();
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync() => _databases.DisposeAsync().AsTask();

    [Theory]
    [InlineData("https://monitor.example.com", "https://monitor.example.com")]
    [InlineData(" https://monitor.example.com/ ", "https://monitor.example.com")]
    [InlineData("http://10.0.0.5:5080", "http://10.0.0.5:5080")]
    [InlineData("http://[2001:db8::1]:5080/", "http://[2001:db8::1]:5080")]
    public void Public_urls_are_kept_as_scheme_host_and_port(string input, string stored)
    {
        var (url, problem) = CoreSettings.CheckPublicUrl(input);
        problem.Should().BeNull();
        url.Should().Be(stored);
    }

    [Theory]
    [InlineData("monitor.example.com", "absolute URL")]
    [InlineData("ftp://monitor.example.com", "absolute URL")]
    [InlineData("/relative", "absolute URL")]
    [InlineData("https://monitor.example.com/sentinelx", "path, query or fragment")]
    [InlineData("https://monitor.example.com/?a=1", "path, query or fragment")]
    [InlineData("https://monitor.example.com/#top", "path, query or fragment")]
    [InlineData("https://admin:secret@monitor.example.com", "user name or password")]
    [InlineData("https://monitor.example.com:5080'$(id)", "absolute URL")]
    public void Bad_public_urls_are_refused_with_the_reason(string input, string reason)
    {
        var (url, problem) = CoreSettings.CheckPublicUrl(input);
        url.Should().BeNull();
        problem!.Text.Should().Contain(reason);
    }

    [Fact]
    public void Retention_must_be_in_bounds_and_each_tier_must_cover_the_finer_one()
    {
        CoreSettings.CheckRetention(24, 14, 400).Should().BeEmpty();
        CoreSettings.CheckRetention(1, 1, 1).Should().BeEmpty();
        CoreSettings.CheckRetention(0, 14, 400).Should().ContainSingle().Which.Text.Should().StartWith("Raw samples must be kept between 1 and {0} hours");
        CoreSettings.CheckRetention(24, 3651, 40000).Select(p => p.Text).Should().BeEquivalentTo(
            "1-minute averages must be kept between 1 and {0} days.", "1-hour averages must be kept between 1 and {0} days.");
        CoreSettings.CheckRetention(72, 2, 400).Should().ContainSingle().Which.Text.Should().Contain("at least as long as raw samples");
        CoreSettings.CheckRetention(24, 30, 10).Should().ContainSingle().Which.Text.Should().Contain("at least as long as 1-minute averages");
    }

    [Fact]
    public async Task Saved_values_survive_a_reload_and_a_bad_value_keeps_the_good_one()
    {
        using var settings = TestSettings.Over(_factory);
        await settings.LoadAsync();
        (await settings.SetPublicUrlAsync("https://monitor.example.com/")).Should().BeNull();
        (await settings.SetRetentionAsync(48, 30, 365)).Should().BeEmpty();
        (await settings.SetDefaultThemeAsync("dark")).Should().BeNull();

        (await settings.SetPublicUrlAsync("https://monitor.example.com/path")).Should().NotBeNull();
        (await settings.SetRetentionAsync(48, 1, 365)).Should().NotBeEmpty();
        (await settings.SetDefaultThemeAsync("pink")).Should().NotBeNull();

        var reloaded = TestSettings.Over(_factory);
        await reloaded.LoadAsync();
        foreach (var s in new[] { settings, reloaded })
        {
            s.PublicUrl.Should().Be("https://monitor.example.com");
            s.RetentionIsSaved.Should().BeTrue();
            s.Retention.Should().BeEquivalentTo(new { RawHours = 48, MinuteDays = 30, HourDays = 365 });
            s.DefaultTheme.Should().Be("dark");
        }

        (await reloaded.SetPublicUrlAsync("  ")).Should().BeNull("an empty URL clears the setting");
        reloaded.PublicUrl.Should().BeNull();
        await settings.LoadAsync();
        settings.PublicUrl.Should().BeNull();
    }

    [Fact]
    public async Task Retention_comes_from_configuration_until_saved_and_the_jobs_read_the_current_value()
    {
        var configured = new RetentionOptions { RawHours = 6, MinuteDays = 7, HourDays = 30 };
        using var settings = TestSettings.Over(_factory, configured);
        await settings.LoadAsync();
        var current = new CurrentRetention(settings);

        settings.RetentionIsSaved.Should().BeFalse();
        current.Value.Should().BeSameAs(configured);

        await settings.SetRetentionAsync(2, 3, 4);
        current.Value.Should().BeEquivalentTo(new { RawHours = 2, MinuteDays = 3, HourDays = 4 });
    }

    [Fact]
    public async Task A_damaged_stored_value_is_ignored_rather_than_used()
    {
        await using (var db = _factory.CreateDbContext())
        {
            db.Settings.AddRange(
                new CoreSetting { Key = CoreSettings.RawHoursKey, Value = "-5" },
                new CoreSetting { Key = CoreSettings.MinuteDaysKey, Value = "14" },
                new CoreSetting { Key = CoreSettings.HourDaysKey, Value = "400" },
                new CoreSetting { Key = CoreSettings.PublicUrlKey, Value = "not a url" },
                new CoreSetting { Key = CoreSettings.DefaultThemeKey, Value = "neon" });
            await db.SaveChangesAsync();
        }

        using var settings = TestSettings.Over(_factory);
        await settings.LoadAsync();

        settings.RetentionIsSaved.Should().BeFalse();
        settings.Retention.RawHours.Should().Be(24);
        settings.PublicUrl.Should().BeNull();
        settings.DefaultTheme.Should().Be("");
    }

    [Fact]
    public async Task The_install_command_uses_the_saved_url_before_the_configured_one_and_the_browser_address()
    {
        using var settings = TestSettings.Over(_factory);
        await settings.LoadAsync();
        var command = new InstallCommand(Options.Create(new CorePublicOptions { PublicUrl = "https://configured.example.com" }), settings);
        var request = new DefaultHttpContext().Request;
        request.Scheme = "http";
        request.Host = new HostString("10.0.0.5:5080");

        command.PublicUrl(request).Should().Be("https://configured.example.com");
        command.PublicUrl("http://127.0.0.1:5080/").Should().Be("https://configured.example.com");

        await settings.SetPublicUrlAsync("https://saved.example.com");
        command.PublicUrl(request).Should().Be("https://saved.example.com");
        command.PublicUrl("http://127.0.0.1:5080/").Should().Be("https://saved.example.com");

        using var nothingSaved = TestSettings.NothingSaved();
        var unconfigured = new InstallCommand(Options.Create(new CorePublicOptions()), nothingSaved);
        unconfigured.PublicUrl("http://127.0.0.1:5080/").Should().Be("http://127.0.0.1:5080");
    }
}
