using System.Text;
using Bunit;
using FluentAssertions;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Exec;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Hosting;
using SentinelX.Tests.Ui;
using Xunit;

namespace SentinelX.Tests.Exec;

/// <summary>One run's output as the Commands tab shows it: live while it runs, then the stored copy.</summary>
[Trait("Tier", "Component")]
[Collection(CoreInProcess.Name)]
public sealed class ExecRunPanelTests : ComponentTest
{
    private static LiveExecRun NewRun() =>
        new(new ExecRun { Id = "r1", NodeId = "n1", Command = "echo hi", RequestedBy = "ops", Status = ExecStatuses.Running }, "tokyo-1", AuditActor.System);

    [Fact]
    public void Live_output_is_shown_by_stream_as_it_arrives()
    {
        var run = NewRun();
        run.Append("stdout", Encoding.UTF8.GetBytes("hello\n"));
        var panel = Ui.Render<ExecRunPanel>(p => p.Add(c => c.Live, run));
        run.Append("stderr", Encoding.UTF8.GetBytes("oops\n"));

        panel.WaitForAssertion(() =>
        {
            panel.Find("[data-testid=exec-output] .sx-stdout").TextContent.Should().Be("hello\n");
            panel.Find("[data-testid=exec-output] .sx-stderr").TextContent.Should().Be("oops\n");
        });
        panel.Find("[data-testid=exec-result]").GetAttribute("data-status").Should().Be(ExecStatuses.Running);
    }

    [Fact]
    public void When_the_run_ends_the_stored_copy_replaces_the_live_output()
    {
        var run = NewRun();
        run.Append("stdout", Encoding.UTF8.GetBytes("hello\n"));
        run.Append("stderr", Encoding.UTF8.GetBytes("oops\n"));
        var panel = Ui.Render<ExecRunPanel>(p => p.Add(c => c.Live, run));
        var stored = new ExecRun
        {
            Id = "r1", NodeId = "n1", Command = "echo hi", RequestedBy = "ops", Status = ExecStatuses.Exited,
            ExitCode = 3, Stdout = "hello\n", Stderr = "oops\n",
        };

        panel.Render(p => p.Add(c => c.Live, null).Add(c => c.Stored, stored));
        run.Append("stdout", Encoding.UTF8.GetBytes("late\n")); // no longer watched

        panel.FindAll("[data-testid=exec-output] span").Select(s => s.TextContent).Should().Equal("hello\n", "oops\n");
        panel.Find("[data-testid=exec-result]").GetAttribute("data-status").Should().Be(ExecStatuses.Exited);
        panel.Find("[data-testid=exec-exit]").TextContent.Should().Contain("3");
    }
}
