using System.Diagnostics.CodeAnalysis;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Keys;
using SentinelX.App.Features.Metrics;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Storage;
using Xunit;

namespace SentinelX.Tests.Nodes;

/// <summary>Enrollment with the fleet key against a real SQLite database: new machines join, known machine ids wait for an admin.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class NodeEnrollmentTests : IAsyncLifetime
{
    private readonly SqliteDatabases _databases = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(Samples.T0));
    private readonly NodeRegistry _registry = new();
    private static readonly AuditActor Admin = new("alice", "user", "192.0.2.1");
    private TestDbFactory _factory = null!;
    private NodeEnrollment _enrollment = null!;

    public async Task InitializeAsync()
    {
        _factory = new TestDbFactory(await _databases.CreateAsync());
        await using (var db = _factory.CreateDbContext()) await db.Database.MigrateAsync();
        var audit = new AuditLog(_factory, _time, NullLogger<AuditLog>.Instance);
        var metrics = new MetricsQuery(_factory, Options.Create(new RetentionOptions()), _time);
        _enrollment = new NodeEnrollment(_factory, _registry, metrics, audit, _time, NullLogger<NodeEnrollment>.Instance);
    }

    public async Task DisposeAsync()
    {
        _enrollment.Dispose();
        await _databases.DisposeAsync();
    }

    private static EnrollRequest Request(string machineId, string hostname = "tokyo") => new()
    {
        MachineId = machineId, Hostname = hostname, ProtocolVersion = ProtocolInfo.Version, AgentVersion = "1.0.0",
    };

    private async Task<EnrollResponse> EnrollNewAsync(string machineId, string hostname = "tokyo") =>
        (await _enrollment.EnrollAsync(Request(machineId, hostname), "198.51.100.7", CancellationToken.None))
        .Should().BeOfType<EnrollDecision.Enrolled>().Subject.Response;

    [Fact]
    public async Task The_fleet_key_and_another_servers_machine_id_get_a_pending_request_not_that_servers_identity()
    {
        var victim = await EnrollNewAsync("machine-tokyo");
        var session = _registry.Find(victim.NodeId)!;
        var hashBefore = session.SecretHash;

        var decision = await _enrollment.EnrollAsync(Request("machine-tokyo", "attacker"), "203.0.113.5", CancellationToken.None);

        var pending = decision.Should().BeOfType<EnrollDecision.Waiting>().Subject.Pending;
        pending.Ticket.Should().StartWith("sxj_");
        pending.RequestId.Should().NotBe(victim.NodeId);
        session.SecretHash.Should().Be(hashBefore, "the real Node keeps its secret and its session");
        SecretText.Matches(victim.Secret, session.SecretHash).Should().BeTrue();
        await using (var db = _factory.CreateDbContext())
            (await db.Nodes.SingleAsync()).SecretHash.Should().Be(hashBefore);

        var listed = (await _enrollment.PendingAsync(CancellationToken.None)).Should().ContainSingle().Subject;
        listed.NodeId.Should().Be(victim.NodeId);
        listed.Name.Should().Be("attacker");
        listed.RemoteAddress.Should().Be("203.0.113.5");

        (await _enrollment.PollAsync(pending.RequestId, pending.Ticket, CancellationToken.None)).Should().BeOfType<EnrollDecision.Waiting>()
            .Which.Pending.Ticket.Should().BeNull("the ticket is handed out once");
        (await _enrollment.PollAsync(pending.RequestId, "sxj_guess", CancellationToken.None)).Should().BeOfType<EnrollDecision.Refused>()
            .Which.Status.Should().Be(404);
    }

    [Fact]
    public async Task Approval_hands_the_old_id_to_the_waiting_machine_once_and_locks_the_old_secret_out()
    {
        var old = await EnrollNewAsync("machine-tokyo");
        var pending = ((EnrollDecision.Waiting)await _enrollment.EnrollAsync(Request("machine-tokyo"), "203.0.113.5", CancellationToken.None)).Pending;

        (await _enrollment.ApproveAsync(pending.RequestId, Admin, CancellationToken.None)).Should().BeNull();
        SecretText.Matches(old.Secret, _registry.Find(old.NodeId)!.SecretHash).Should().BeFalse("the old secret stops working at approval");

        var joined = (await _enrollment.PollAsync(pending.RequestId, pending.Ticket, CancellationToken.None))
            .Should().BeOfType<EnrollDecision.Enrolled>().Subject.Response;
        joined.NodeId.Should().Be(old.NodeId);
        joined.Secret.Should().NotBe(old.Secret);
        SecretText.Matches(joined.Secret, _registry.Find(old.NodeId)!.SecretHash).Should().BeTrue();
        (await _enrollment.PollAsync(pending.RequestId, pending.Ticket, CancellationToken.None)).Should().BeOfType<EnrollDecision.Refused>()
            .Which.Status.Should().Be(410, "the ticket is good for one hand-over");
        (await _enrollment.PendingAsync(CancellationToken.None)).Should().BeEmpty();
        (await _enrollment.ApproveAsync(pending.RequestId, Admin, CancellationToken.None))!.Status.Should().Be(409);

        await using var db = _factory.CreateDbContext();
        var actions = await db.AuditEntries.OrderBy(e => e.Id).Select(e => new { e.Action, e.Actor, e.Address, e.NodeId, e.Result }).ToListAsync();
        actions.Select(a => a.Action).Should().Equal(AuditActions.NodeEnroll, AuditActions.NodeRejoinRequest, AuditActions.NodeRejoinApprove);
        actions[1].Address.Should().Be("203.0.113.5");
        actions[2].Actor.Should().Be("alice");
        actions.Should().OnlyContain(a => a.NodeId == old.NodeId && a.Result == AuditResults.Ok);
    }

    [Fact]
    public async Task A_rejected_request_is_told_so_and_the_node_keeps_its_identity()
    {
        var old = await EnrollNewAsync("machine-tokyo");
        var pending = ((EnrollDecision.Waiting)await _enrollment.EnrollAsync(Request("machine-tokyo"), "203.0.113.5", CancellationToken.None)).Pending;

        (await _enrollment.RejectAsync(pending.RequestId, Admin, CancellationToken.None)).Should().BeNull();

        var refused = (await _enrollment.PollAsync(pending.RequestId, pending.Ticket, CancellationToken.None)).Should().BeOfType<EnrollDecision.Refused>().Subject;
        refused.Status.Should().Be(403);
        refused.Detail.Should().Contain("rejected");
        SecretText.Matches(old.Secret, _registry.Find(old.NodeId)!.SecretHash).Should().BeTrue();
        await using var db = _factory.CreateDbContext();
        (await db.AuditEntries.AnyAsync(e => e.Action == AuditActions.NodeRejoinReject && e.Actor == "alice")).Should().BeTrue();
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-such-request")]
    [InlineData("../../etc/passwd")]
    [InlineData("' OR 1=1 --")]
    public async Task Unknown_request_ids_are_problems_not_errors(string id)
    {
        (await _enrollment.ApproveAsync(id, Admin, CancellationToken.None))!.Status.Should().Be(404);
        (await _enrollment.RejectAsync(id, Admin, CancellationToken.None))!.Status.Should().Be(404);
        (await _enrollment.PollAsync(id, "sxj_x", CancellationToken.None)).Should().BeOfType<EnrollDecision.Refused>().Which.Status.Should().Be(404);
        (await _enrollment.ApproveAsync(new string('x', 10_000), Admin, CancellationToken.None))!.Status.Should().Be(404);
    }

    [Fact]
    public async Task Requests_expire_after_a_day_and_cannot_flood_the_table()
    {
        await EnrollNewAsync("machine-tokyo");
        var first = ((EnrollDecision.Waiting)await _enrollment.EnrollAsync(Request("machine-tokyo"), "203.0.113.5", CancellationToken.None)).Pending;
        for (var i = 1; i < NodeEnrollment.MaxPendingPerMachine; i++)
            (await _enrollment.EnrollAsync(Request("machine-tokyo"), "203.0.113.5", CancellationToken.None)).Should().BeOfType<EnrollDecision.Waiting>();
        (await _enrollment.EnrollAsync(Request("machine-tokyo"), "203.0.113.5", CancellationToken.None)).Should().BeOfType<EnrollDecision.Refused>()
            .Which.Status.Should().Be(429);

        _time.Advance(NodeEnrollment.RequestLifetime + TimeSpan.FromMinutes(1));
        (await _enrollment.PollAsync(first.RequestId, first.Ticket, CancellationToken.None)).Should().BeOfType<EnrollDecision.Refused>()
            .Which.Status.Should().Be(410);
        (await _enrollment.ApproveAsync(first.RequestId, Admin, CancellationToken.None))!.Status.Should().Be(409);
        (await _enrollment.PendingAsync(CancellationToken.None)).Should().BeEmpty();
        (await _enrollment.EnrollAsync(Request("machine-tokyo"), "203.0.113.5", CancellationToken.None)).Should().BeOfType<EnrollDecision.Waiting>();
    }

    [Fact]
    public async Task A_revoked_node_stays_refused()
    {
        var node = await EnrollNewAsync("machine-tokyo");
        await using (var db = _factory.CreateDbContext())
            await db.Nodes.Where(n => n.Id == node.NodeId).ExecuteUpdateAsync(s => s.SetProperty(n => n.Revoked, true));

        (await _enrollment.EnrollAsync(Request("machine-tokyo"), "203.0.113.5", CancellationToken.None)).Should().BeOfType<EnrollDecision.Refused>()
            .Which.Status.Should().Be(403);
        (await _enrollment.PendingAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Fact]
    public async Task Refused_enrollments_are_audited_but_a_flood_writes_only_a_few_rows_a_minute()
    {
        var stranger = new AuditActor("x", "node", "203.0.113.9");
        for (var i = 0; i < 500; i++)
            await _enrollment.RecordRefusedAsync(stranger, AuditActions.NodeEnroll, null, "x", "wrong enrollment key");

        await using (var db = _factory.CreateDbContext())
        {
            var rows = await db.AuditEntries.CountAsync();
            rows.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(20);
        }

        _time.Advance(TimeSpan.FromMinutes(1));
        await _enrollment.RecordRefusedAsync(stranger, AuditActions.NodeEnroll, null, "x", "wrong enrollment key");
        await using (var db = _factory.CreateDbContext())
            (await db.AuditEntries.OrderBy(e => e.Id).LastAsync()).Detail.Should().Contain("480 more refusals not recorded");
    }
}
