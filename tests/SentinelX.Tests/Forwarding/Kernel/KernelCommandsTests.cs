using FluentAssertions;
using SentinelX.Node.Forwarding.Kernel;
using Xunit;

namespace SentinelX.Tests.Forwarding.Kernel;

/// <summary>
/// The runner behind every nft/iptables/ip call, against real programs: each value reaches the program as one
/// argument whatever it contains, and a failing, missing or hung program comes back as a result with its reason.
/// </summary>
public sealed class KernelCommandsTests
{
    // A rule comment or interface name an operator typed: shell metacharacters, quotes and line breaks included.
    private static readonly string[] Hostile =
    [
        "two words",
        "\"double\" and 'single' quotes",
        "a; rm -rf / #",
        "line one\nline two",
        "back\\slash\\\" end\\",
        "$(id) `id` $HOME *",
        "",
        "  leading and trailing  ",
        "tab\tseparated",
    ];

    private static readonly KernelCommands Direct = new([]);

    [Fact]
    public async Task Each_hostile_value_reaches_the_program_as_one_argument()
    {
        var result = await Direct.RunAsync(["printf", "%s\\0", .. Hostile], CancellationToken.None);

        result.ExitCode.Should().Be(0, result.Error);
        result.Output.Split('\0')[..^1].Should().Equal(Hostile);
    }

    [Fact]
    public async Task Prefix_arguments_are_passed_one_by_one_too()
    {
        var commands = new KernelCommands(["env", "SX_PREFIX=a b; c"]);

        var result = await commands.RunAsync(["sh", "-c", "printf '%s|' \"$SX_PREFIX\" \"$@\"", "sh", "x;y", "p q"], CancellationToken.None);

        result.Output.Should().Be("a b; c|x;y|p q|");
    }

    [Fact]
    public async Task A_non_zero_exit_is_a_result_with_stderr_as_the_reason()
    {
        var result = await Direct.RunAsync(
            ["sh", "-c", "printf 'Error: %s\\nsecond line\\n' \"$1\" >&2; exit 3", "sh", "syntax error; near \"quote\""],
            CancellationToken.None);

        result.Ok.Should().BeFalse();
        result.ExitCode.Should().Be(3);
        result.Error.Should().Be("Error: syntax error; near \"quote\"\nsecond line\n");
        result.Reason.Should().Be("Error: syntax error; near \"quote\"");
    }

    [Fact]
    public async Task Output_is_untranslated_and_stdin_is_fed_verbatim()
    {
        var script = "table ip t {\n  chain c { comment \"a; b 'c'\" }\n}\n\u00e9\n";

        var result = await Direct.RunAsync(["sh", "-c", "echo \"LC_ALL=$LC_ALL\" >&2; cat"], script, CancellationToken.None);

        result.Ok.Should().BeTrue();
        result.Output.Should().Be(script);
        result.Error.Should().Be("LC_ALL=C\n");
    }

    [Fact]
    public async Task A_program_that_exits_before_reading_its_script_reports_what_it_said()
    {
        var script = new string('x', 4 * 1024 * 1024);

        var result = await Direct.RunAsync(["sh", "-c", "echo 'usage: nft [options]' >&2; exit 64"], script, CancellationToken.None);

        result.ExitCode.Should().Be(64);
        result.Reason.Should().Be("usage: nft [options]");
    }

    [Fact]
    public async Task A_missing_program_is_exit_code_127_with_the_reason()
    {
        var result = await Direct.RunAsync(["sx-no-such-tool", "a b", "c;d", "e\nf"], CancellationToken.None);

        result.ExitCode.Should().Be(127);
        result.Reason.Should().StartWith("sx-no-such-tool: ").And.Contain("No such file or directory");
    }

    [Fact]
    public async Task A_hung_program_is_killed_at_the_timeout_and_reported()
    {
        var commands = new KernelCommands([], TimeSpan.FromMilliseconds(200));

        var result = await commands.RunAsync(["sleep", "60"], CancellationToken.None);

        result.ExitCode.Should().Be(124);
        result.Reason.Should().Be("sleep did not finish within 0.2 s");
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws_instead_of_reporting_a_timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var run = () => Direct.RunAsync(["sleep", "60"], cts.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
    }
}
