using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Localization;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.StatusPages;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.StatusPages;

/// <summary>The page cache on a virtual clock: fresh for 30 s, then served stale while one rebuild runs, dropped on a change.</summary>
public sealed class StatusPageCacheTests : IAsyncLifetime, IDisposable
{
    private readonly SqliteDatabases _databases = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly NodeRegistry _registry = new();
    private TestDbFactory _factory = null!;
    private StatusPageService _pages = null!;
    private StatusPageCache _cache = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _factory = new TestDbFactory(await _databases.CreateAsync());
        await using (var db = _factory.CreateDbContext())
            await db.Database.MigrateAsync();
        _pages = new StatusPageService(_factory, _registry, new AuditLog(_factory, _clock, NullLogger<AuditLog>.Instance), _clock);
        _services = new ServiceCollection().AddSingleton<UiText>().BuildServiceProvider();
        var builder = new StatusPageBuilder(_registry, new UptimeQuery(_factory), _pages, _factory, _clock);
        _cache = new StatusPageCache(_pages, builder, _services, NullLoggerFactory.Instance, _clock);
    }

    public async Task DisposeAsync()
    {
        Dispose();
        await _services.DisposeAsync();
        await _databases.DisposeAsync();
    }

    public void Dispose()
    {
        _cache.Dispose();
        _pages.Dispose();
    }

    [Fact]
    public async Task A_page_is_fresh_for_30_seconds_then_served_stale_while_it_is_built_again()
    {
        await PutAsync("Before");
        var first = await _cache.GetAsync("p", CancellationToken.None);
        await AddIncidentBehindTheBackAsync();

        _clock.Advance(TimeSpan.FromSeconds(29));
        var fresh = await _cache.GetAsync("p", CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(2));
        var stale = await _cache.GetAsync("p", CancellationToken.None);
        await _cache.WhenBuiltAsync("p");
        var rebuilt = await _cache.GetAsync("p", CancellationToken.None);

        fresh.Should().BeSameAs(first);
        first!.Model.Incidents.Should().BeEmpty();
        stale.Should().BeSameAs(first, "the first request after the lifetime gets the old page and starts one build");
        rebuilt!.Model.BuiltAt.Should().Be(_clock.GetUtcNow());
        rebuilt.Model.Incidents.Should().ContainSingle().Which.Title.Should().Be("Written behind the cache's back");
        _cache.Builds.Should().Be(2);
    }

    [Fact]
    public async Task A_change_drops_the_page_and_a_private_page_is_not_served()
    {
        await PutAsync("One");
        (await _cache.GetAsync("p", CancellationToken.None))!.Model.Title.Should().Be("One");

        await PutAsync("Two");
        (await _cache.GetAsync("p", CancellationToken.None))!.Model.Title.Should().Be("Two");
        await PutAsync("Two", isPublic: false);
        (await _cache.GetAsync("p", CancellationToken.None)).Should().BeNull();
        (await _cache.GetAsync("never-made", CancellationToken.None)).Should().BeNull();

        _cache.Builds.Should().Be(2, "an unknown or private slug costs no build");
    }

    [Fact]
    public async Task Many_requests_for_a_page_not_built_yet_share_one_build()
    {
        await PutAsync("Busy");

        var pages = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _cache.GetAsync("p", CancellationToken.None).AsTask()));

        pages.Should().OnlyContain(p => ReferenceEquals(p, pages[0]));
        _cache.Builds.Should().Be(1);
    }

    private async Task PutAsync(string title, bool isPublic = true)
    {
        var (edit, _) = await _pages.PutAsync("p", new StatusPageInput(title, [], [], isPublic), AuditActor.System, CancellationToken.None);
        edit.Succeeded.Should().BeTrue();
    }

    private async Task AddIncidentBehindTheBackAsync()
    {
        await using var db = _factory.CreateDbContext();
        db.StatusIncidents.Add(new StatusIncidentRecord { Id = "i1", Slug = "p", Title = "Written behind the cache's back", State = "investigating" });
        await db.SaveChangesAsync();
    }
}
