using System.Globalization;
using System.Text;
using SentinelX.Node.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Processes;

/// <summary>The fields of <c>/proc/[pid]/stat</c> a process list needs: CPU time (user + system, in clock ticks), start time (ticks after boot) and resident pages.</summary>
internal readonly record struct ProcessStat(ulong CpuTicks, ulong StartTime, long RssPages);

/// <summary>
/// Pure parsers over the text of a process's <c>/proc</c> files. Every one of them is written by the
/// kernel, but the name and the command line are whatever the process chose: any byte but NUL, of
/// any length, so they are decoded, cut and made printable here before they leave the Node.
/// </summary>
internal static class ProcessParsers
{
    /// <summary>A command line longer than this many bytes is cut: 4 bytes is the longest UTF-8 char, so the cut never shows.</summary>
    public const int MaxCommandBytes = ProcessNames.MaxCommandLength * 4;

    /// <summary>
    /// Parses <c>/proc/[pid]/stat</c>; <paramref name="name"/> is where the name lies in <paramref name="text"/>.
    /// The name is in parentheses and may itself hold spaces, parentheses and newlines, so the fields
    /// are counted from the last <c>)</c>: nothing after the name can contain one.
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<char> text, out ProcessStat stat, out Range name)
    {
        stat = default;
        name = default;
        var open = text.IndexOf('(');
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open) return false;
        name = new Range(open + 1, close);

        // Fields are numbered from 1 as in proc(5); the state (3) is the first after the name.
        var rest = text[(close + 1)..];
        ulong utime = 0, stime = 0, start = 0;
        long rss = 0;
        for (var field = 3; field <= 24; field++)
        {
            var token = ProcParsers.NextToken(ref rest);
            if (token.IsEmpty) return false;
            var parsed = field switch
            {
                14 => ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out utime),
                15 => ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out stime),
                22 => ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out start),
                24 => long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out rss),
                _ => true,
            };
            if (!parsed) return false;
        }

        stat = new ProcessStat(utime + stime, start, Math.Max(0, rss));
        return true;
    }

    /// <summary>The effective uid from <c>/proc/[pid]/status</c> (the second number of <c>Uid:</c>, the user <c>top</c> shows), or null.</summary>
    public static uint? ParseEffectiveUid(ReadOnlySpan<char> status)
    {
        foreach (var line in status.EnumerateLines())
        {
            if (!line.StartsWith("Uid:")) continue;
            var rest = line[4..];
            ProcParsers.NextToken(ref rest); // real
            return uint.TryParse(ProcParsers.NextToken(ref rest), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }

        return null;
    }

    /// <summary>
    /// The name from a stat file as the kernel stored it. <see cref="Metrics.ProcFileReader"/> hands out
    /// bytes as Latin-1 chars, so each char is one byte of the name: decoded as UTF-8 here.
    /// </summary>
    public static string Name(ReadOnlySpan<char> latin1)
    {
        if (latin1.Length > ProcessNames.MaxNameLength) latin1 = latin1[..ProcessNames.MaxNameLength];
        Span<byte> bytes = stackalloc byte[latin1.Length];
        for (var i = 0; i < latin1.Length; i++) bytes[i] = (byte)latin1[i];
        Span<char> chars = stackalloc char[latin1.Length];
        var count = Encoding.UTF8.GetChars(bytes, chars);
        return Printable(chars[..count]);
    }

    /// <summary>
    /// A command line from the first bytes of <c>/proc/[pid]/cmdline</c>: arguments joined by spaces,
    /// cut to <see cref="ProcessNames.MaxCommandLength"/> chars ending in "…" when <paramref name="more"/>
    /// bytes followed or it is longer; <c>[name]</c> when it is empty (kernel threads, zombies).
    /// </summary>
    /// <param name="chars">Scratch space of at least <see cref="Encoding.GetMaxCharCount"/> of the bytes.</param>
    public static string Command(ReadOnlySpan<byte> cmdline, bool more, string name, Span<char> chars)
    {
        var count = Encoding.UTF8.GetChars(cmdline, chars);
        var text = chars[..count];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\0') text[i] = ' ';
        }

        text = text.TrimEnd();
        if (text.IsEmpty) return more ? "…" : $"[{name}]";
        MakePrintable(text);
        if (text.Length <= ProcessNames.MaxCommandLength && !more) return new string(text);

        var keep = Math.Min(text.Length, ProcessNames.MaxCommandLength - 1);
        if (char.IsHighSurrogate(text[keep - 1])) keep--;
        return string.Concat(text[..keep], "…");
    }

    /// <summary>A copy of <paramref name="text"/> made printable in place first (see <see cref="MakePrintable"/>).</summary>
    public static string Printable(Span<char> text)
    {
        MakePrintable(text);
        return new string(text);
    }

    /// <summary>
    /// Control characters (a newline in a name, an escape sequence in an argument) and invisible
    /// formatting ones (right-to-left overrides that make a name read as another) become '?', as <c>ps</c> shows them.
    /// </summary>
    public static void MakePrintable(Span<char> text)
    {
        foreach (ref var c in text)
        {
            if (char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format) c = '?';
        }
    }

    /// <summary>Parses <c>/etc/passwd</c> into uid → name; the first entry of a uid wins, as for getpwuid.</summary>
    public static Dictionary<uint, string> ParsePasswd(ReadOnlySpan<char> text)
    {
        var names = new Dictionary<uint, string>();
        Span<char> scratch = stackalloc char[ProcessNames.MaxUserLength];
        foreach (var line in text.EnumerateLines())
        {
            // name:password:uid:gid:gecos:home:shell
            var rest = line;
            var name = Field(ref rest);
            Field(ref rest);
            if (name.IsEmpty || name[0] is '#' or '+' or '-') continue;
            if (!uint.TryParse(Field(ref rest), NumberStyles.None, CultureInfo.InvariantCulture, out var uid) || names.ContainsKey(uid)) continue;
            name = name[..Math.Min(name.Length, scratch.Length)];
            name.CopyTo(scratch);
            names[uid] = Printable(scratch[..name.Length]);
        }

        return names;
    }

    private static ReadOnlySpan<char> Field(ref ReadOnlySpan<char> rest)
    {
        var colon = rest.IndexOf(':');
        var field = colon < 0 ? rest : rest[..colon];
        rest = colon < 0 ? [] : rest[(colon + 1)..];
        return field;
    }
}
