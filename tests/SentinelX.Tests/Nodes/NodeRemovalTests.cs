using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.Nodes;

/// <summary>Removing a Node leaves a tombstone and takes all its samples, also those still queued for the writer.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class NodeRemovalTests : IAsyncLifetime
{
    private readonly SqliteDatabases _databases = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(Samples.T0));
    private readonly NodeRegistry _registry = new();
    private TestDbFactory _factory = null!;
    private RunningWriter _writer = null!;
    private NodeEditor _editor = null!;

    public async Task InitializeAsync()
    {
        _factory = new TestDbFactory(await _databases.CreateAsync());
        await using (var db = _factory.CreateDbContext()) await db.Database.MigrateAsync();
        // Submissions wait in the queue until something flushes the writer.
        _writer = await RunningWriter.StartAsync(_factory, new SampleWriterSettings { MaxBatchDelay = TimeSpan.FromMinutes(5) });
        _editor = new NodeEditor(_factory, _registry, _writer.Writer, _time, new AuditLog(_factory, _time, NullLogger<AuditLog>.Instance), NullLogger<NodeEditor>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _databases.DisposeAsync();
    }

    [Fact]
    public async Task Removal_leaves_a_tombstone_and_no_sample_the_writer_still_held()
    {
        var record = new NodeRecord { Id = "n-web", Name = "web", MachineId = "m-web", SecretHash = "h" };
        await using (var db = _factory.CreateDbContext())
        {
            db.Nodes.Add(record);
            await db.SaveChangesAsync();
        }
        var node = _registry.Add(record);
        await _writer.Writer.EnqueueAsync("n-web", Samples.Run(1, Samples.T0, 40), _ => { }, CancellationToken.None);
        await _writer.Writer.EnqueueAsync("n-other", Samples.Run(1, Samples.T0, 5), _ => { }, CancellationToken.None);

        await _editor.RemoveAsync(node, AuditActor.System, CancellationToken.None);
        await _writer.Writer.FlushAsync(CancellationToken.None);

        await using var check = _factory.CreateDbContext();
        (await check.Samples.CountAsync(s => s.NodeId == "n-web")).Should().Be(0, "samples queued before the removal were written before the delete");
        (await check.Samples.CountAsync(s => s.NodeId == "n-other")).Should().Be(5);
        (await check.Nodes.AnyAsync()).Should().BeFalse();
        (await check.NodeTombstones.Select(t => $"{t.NodeId} {t.Name} {t.RemovedAt}").ToListAsync()).Should().Equal($"n-web web {Samples.T0}");
        (await NodeEditor.LoadRemovedIdsAsync(check, CancellationToken.None)).Should().Equal("n-web");
        (await check.Settings.AnyAsync()).Should().BeFalse("tombstones no longer live in settings");
        _registry.IsRemoved("n-web").Should().BeTrue();
    }
}
