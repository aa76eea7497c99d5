using System.Text;
using FluentAssertions;
using SentinelX.Node.Remote;
using Xunit;

namespace SentinelX.Tests.Terminal;

/// <summary>The Node's PTY: a real shell on a real pseudo-terminal, as the web terminal runs it.</summary>
public sealed class PtyProcessTests
{
    [Fact]
    public async Task The_shell_gets_a_controlling_terminal_of_the_requested_size_and_utf8()
    {
        var launch = ShellLaunch.For(null);
        launch.Environment.Should().Contain("TERM=xterm-256color");
        var home = Directory.CreateTempSubdirectory("sentinelx-home-").FullName;
        using var pty = PtyProcess.Start(launch.Path, launch.Argv, launch.Environment, 100, 30, home);
        var exit = ShellBridge.ReapAsync(pty);

        pty.Write(Encoding.UTF8.GetBytes("echo 你好 && tty && echo \"in:$(pwd)\" && stty size && ps -o stat= -p $$\r"));
        var output = ReadUntil(pty, s => s.Contains("30 100\r\n", StringComparison.Ordinal) && s.Contains("/dev/pts/", StringComparison.Ordinal));
        output.Should().Contain("你好\r\n");
        output.Should().Contain($"in:{home}\r\n", "the shell starts in the directory asked for (the user's home), like an SSH login");
        output.Should().MatchRegex(@"/dev/pts/\d+\r\n");

        pty.Resize(132, 43);
        pty.Write("stty size; sleep 100\r"u8);
        ReadUntil(pty, s => s.Contains("43 132\r\n", StringComparison.Ordinal));
        // Ctrl-C reaches the foreground job through the terminal's line discipline: job control works.
        Thread.Sleep(300);
        pty.Write("\u0003"u8);
        pty.Write("echo back-$((40+2))\r"u8);
        ReadUntil(pty, s => s.Contains("back-42", StringComparison.Ordinal));

        pty.Write("exit 7\r"u8);
        (await exit.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be("exit 7");
    }

    [Fact]
    public async Task Hanging_up_ends_the_shell_and_its_jobs()
    {
        var launch = ShellLaunch.For(null);
        using var pty = PtyProcess.Start(launch.Path, launch.Argv, launch.Environment, 80, 24);
        var exit = ShellBridge.ReapAsync(pty);
        pty.Write("sleep 300 & echo job=$!\r"u8);
        var output = ReadUntil(pty, s => System.Text.RegularExpressions.Regex.IsMatch(s, @"job=\d+\r\n"));
        var job = int.Parse(System.Text.RegularExpressions.Regex.Match(output, @"job=(\d+)").Groups[1].Value);

        await ShellBridge.HangUpAsync(pty, exit).WaitAsync(TimeSpan.FromSeconds(10));
        (await exit).Should().StartWith("signal");
        for (var i = 0; i < 50 && Directory.Exists($"/proc/{job}"); i++) Thread.Sleep(100);
        Directory.Exists($"/proc/{job}").Should().BeFalse("the background job is in the terminal's session and is hung up too");
    }

    [Fact]
    public void Run_as_an_unknown_user_is_refused_with_a_clear_error()
    {
        var act = () => ShellLaunch.For("no-such-user-here");
        act.Should().Throw<SentinelX.Shared.Protocol.JsonRpcException>().WithMessage("*no-such-user-here*");
    }

    private static string ReadUntil(PtyProcess pty, Func<string, bool> done)
    {
        var bytes = new List<byte>();
        var buffer = new byte[4096];
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var n = pty.Read(buffer, 200);
            if (n < 0) break;
            bytes.AddRange(buffer.AsSpan(0, n));
            var text = Encoding.UTF8.GetString(bytes.ToArray());
            if (done(text)) return text;
        }

        throw new Xunit.Sdk.XunitException("terminal output so far: " + Encoding.UTF8.GetString(bytes.ToArray()));
    }
}
