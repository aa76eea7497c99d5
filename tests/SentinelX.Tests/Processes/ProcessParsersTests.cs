using System.Text;
using FluentAssertions;
using SentinelX.Node.Processes;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Processes;

/// <summary>The Node's readers of a process's /proc files, fed what the kernel writes and what a hostile process can make it write.</summary>
public sealed class ProcessParsersTests
{
    /// <summary>A stat line as the kernel writes it; utime 1500, stime 300, starttime 98765, rss 2560 pages.</summary>
    private static string Stat(string name, int pid = 4242) =>
        $"{pid} ({name}) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1500 300 0 0 20 0 4 0 98765 123456789 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

    [Theory]
    [InlineData("nginx")]
    [InlineData("Web Content")]
    [InlineData("evil) R 1 2 3 (x")]
    [InlineData(")")]
    [InlineData("((")]
    [InlineData("")]
    public void Stat_fields_are_counted_from_the_last_parenthesis_whatever_the_name_holds(string name)
    {
        var text = Stat(name);

        ProcessParsers.TryParseStat(text, out var stat, out var range).Should().BeTrue();

        stat.Should().Be(new ProcessStat(1800, 98765, 2560));
        text[range].Should().Be(name);
    }

    [Fact]
    public void A_newline_in_the_name_does_not_end_the_stat_line()
    {
        var text = Stat("two\nlines");

        ProcessParsers.TryParseStat(text, out var stat, out var range).Should().BeTrue();
        stat.CpuTicks.Should().Be(1800);
        ProcessParsers.Name(text.AsSpan()[range]).Should().Be("two?lines");
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 nginx S 1 2")]
    [InlineData("4242 (nginx) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1500")]
    [InlineData("4242 (nginx) S 1 4242 4242 0 -1 4194560 12345 0 3 0 -1500 300 0 0 20 0 4 0 98765 1 2560")]
    [InlineData("4242 (nginx) S 1 4242 4242 0 -1 4194560 12345 0 3 0 99999999999999999999999 300 0 0 20 0 4 0 98765 1 2560")]
    [InlineData(") 4242 (nginx S 1 4242 4242 0 -1 4194560 12345 0 3 0 1500 300 0 0 20 0 4 0 98765 1 2560")]
    public void Truncated_or_garbled_stat_is_refused(string text) =>
        ProcessParsers.TryParseStat(text, out _, out _).Should().BeFalse();

    [Fact]
    public void Name_bytes_are_decoded_as_UTF_8_and_cut()
    {
        // What ProcFileReader hands over: each byte of the file as one Latin-1 char.
        var latin1 = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("数据库-worker"));
        ProcessParsers.Name(latin1).Should().Be("数据库-worker");

        ProcessParsers.Name(new string('a', 500)).Should().HaveLength(ProcessNames.MaxNameLength);
        ProcessParsers.Name("\u00ff\u00fe").Should().Be("\uFFFD\uFFFD", "bytes that are not UTF-8 show as replacement characters");
    }

    [Fact]
    public void Effective_uid_is_the_second_number_of_the_Uid_line()
    {
        const string status = "Name:\tsudo\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        ProcessParsers.ParseEffectiveUid(status).Should().Be(0u);
        ProcessParsers.ParseEffectiveUid("Name:\tx\n").Should().BeNull();
        ProcessParsers.ParseEffectiveUid("Uid:\t1000\t-1\n").Should().BeNull();
        ProcessParsers.ParseEffectiveUid("").Should().BeNull();
    }

    [Fact]
    public void Arguments_are_joined_by_spaces_and_an_empty_command_line_shows_the_name()
    {
        var chars = new char[4096];

        ProcessParsers.Command("/usr/sbin/nginx\0-g\0daemon off;\0"u8, false, "nginx", chars).Should().Be("/usr/sbin/nginx -g daemon off;");
        ProcessParsers.Command([], false, "kthreadd", chars).Should().Be("[kthreadd]");
        ProcessParsers.Command("\0\0\0"u8, false, "zombie", chars).Should().Be("[zombie]");
        ProcessParsers.Command("vim\0/tmp/\u001b[31mred\0"u8, false, "vim", chars).Should().Be("vim /tmp/?[31mred", "escape sequences must not reach a terminal");
        ProcessParsers.Command(Encoding.UTF8.GetBytes("echo \u202Etxt.exe"), false, "echo", chars).Should().Be("echo ?txt.exe", "a right-to-left override would make it read as another name");
    }

    [Fact]
    public void A_long_command_line_is_cut_with_an_ellipsis_and_never_splits_a_character()
    {
        var chars = new char[8192];
        var longText = Encoding.UTF8.GetBytes(new string('x', 2000));

        var cut = ProcessParsers.Command(longText, false, "x", chars);
        cut.Should().HaveLength(ProcessNames.MaxCommandLength).And.EndWith("…");

        // Bytes that were not read (more) also end in an ellipsis, even when what was read is short.
        ProcessParsers.Command("java\0-jar\0"u8, true, "java", chars).Should().Be("java -jar…");

        // 😀 is two UTF-16 chars: a cut between them would leave half a character.
        var emoji = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("😀", 600)));
        var withEmoji = ProcessParsers.Command(emoji, false, "a", chars);
        withEmoji.Length.Should().BeLessThanOrEqualTo(ProcessNames.MaxCommandLength);
        char.IsHighSurrogate(withEmoji[^2]).Should().BeFalse();
        withEmoji.Should().EndWith("😀…");
    }

    [Fact]
    public void Passwd_maps_uids_to_names_first_entry_wins_and_junk_lines_are_skipped()
    {
        const string passwd = """
            root:x:0:0:root:/root:/bin/bash
            # a comment:x:5:5
            daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
            toor:x:0:0:second root:/root:/bin/sh
            +nisuser::::::
            broken-line
            nobody:x:notanumber:1::/:
            www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
            """;

        var names = ProcessParsers.ParsePasswd(passwd);

        names.Should().BeEquivalentTo(new Dictionary<uint, string> { [0] = "root", [1] = "daemon", [33] = "www-data" });
        ProcessParsers.ParsePasswd(new string('u', 300) + ":x:7:7::/:").Should().ContainKey(7u).WhoseValue.Should().HaveLength(ProcessNames.MaxUserLength);
    }
}
