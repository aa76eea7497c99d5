using System.Globalization;

namespace SentinelX.Node.Metrics;

/// <summary>Jiffies of one CPU line of <c>/proc/stat</c>, reduced to what a busy share needs.</summary>
internal readonly record struct CpuTimes(ulong Busy, ulong Total);

/// <summary>The parts of <c>/proc/meminfo</c> a sample needs, in bytes.</summary>
internal readonly record struct MemInfo(long Total, long Available, long SwapTotal, long SwapFree);

/// <summary>A mount of a real, block-device backed file system.</summary>
internal sealed record MountEntry(string Device, string MountPoint, string FsType);

/// <summary>Receives one row of a counter file (interfaces of /proc/net/dev, disks of /proc/diskstats).</summary>
internal delegate void CounterRowVisitor(ReadOnlySpan<char> name, long first, long second);

/// <summary>
/// Pure parsers over the text of kernel files. They take the contents, not a path, so tests feed
/// them fixtures; they walk spans and allocate nothing on the per-sample path.
/// </summary>
internal static class ProcParsers
{
    /// <summary>
    /// Parses <c>/proc/stat</c>: the aggregate cpu line, each cpuN line into <paramref name="perCore"/>
    /// (cleared first) and the boot time (btime, unix seconds; 0 when absent).
    /// </summary>
    public static CpuTimes ParseStat(ReadOnlySpan<char> text, List<CpuTimes> perCore, out long bootTime)
    {
        perCore.Clear();
        bootTime = 0;
        CpuTimes total = default;
        foreach (var line in text.EnumerateLines())
        {
            var rest = line;
            var key = NextToken(ref rest);
            if (key.SequenceEqual("cpu")) total = ParseCpuLine(rest);
            else if (key.StartsWith("cpu")) perCore.Add(ParseCpuLine(rest));
            else if (key.SequenceEqual("btime")) bootTime = ParseLong(NextToken(ref rest));
        }

        return total;
    }

    /// <summary>Busy share between two readings, 0–100; 0 when the counters did not advance or went back.</summary>
    public static double CpuPercent(CpuTimes previous, CpuTimes current)
    {
        if (current.Total <= previous.Total || current.Busy < previous.Busy) return 0;
        var percent = 100.0 * (current.Busy - previous.Busy) / (current.Total - previous.Total);
        return Math.Clamp(percent, 0, 100);
    }

    /// <summary>Parses <c>/proc/loadavg</c>.</summary>
    public static (double Load1, double Load5, double Load15) ParseLoadAvg(ReadOnlySpan<char> text)
    {
        var rest = text;
        return (ParseDouble(NextToken(ref rest)), ParseDouble(NextToken(ref rest)), ParseDouble(NextToken(ref rest)));
    }

    /// <summary>Parses <c>/proc/meminfo</c> (values in kB) into bytes.</summary>
    public static MemInfo ParseMemInfo(ReadOnlySpan<char> text)
    {
        long total = 0, available = -1, free = 0, buffers = 0, cached = 0, swapTotal = 0, swapFree = 0;
        foreach (var line in text.EnumerateLines())
        {
            var rest = line;
            var key = NextToken(ref rest);
            var value = ParseLong(NextToken(ref rest)) * 1024;
            if (key.SequenceEqual("MemTotal:")) total = value;
            else if (key.SequenceEqual("MemAvailable:")) available = value;
            else if (key.SequenceEqual("MemFree:")) free = value;
            else if (key.SequenceEqual("Buffers:")) buffers = value;
            else if (key.SequenceEqual("Cached:")) cached = value;
            else if (key.SequenceEqual("SwapTotal:")) swapTotal = value;
            else if (key.SequenceEqual("SwapFree:")) swapFree = value;
        }

        // Kernels before 3.14 have no MemAvailable; free + buffers + cache is the old estimate.
        if (available < 0) available = Math.Min(total, free + buffers + cached);
        return new MemInfo(total, available, swapTotal, swapFree);
    }

    /// <summary>Seconds since boot from <c>/proc/uptime</c>.</summary>
    public static double ParseUptime(ReadOnlySpan<char> text)
    {
        var rest = text;
        return ParseDouble(NextToken(ref rest));
    }

    /// <summary>TCP and UDP sockets in use from <c>/proc/net/sockstat</c> or <c>/proc/net/sockstat6</c>.</summary>
    public static (int Tcp, int Udp) ParseSockstat(ReadOnlySpan<char> text)
    {
        int tcp = 0, udp = 0;
        foreach (var line in text.EnumerateLines())
        {
            var rest = line;
            var key = NextToken(ref rest);
            var isTcp = key.SequenceEqual("TCP:") || key.SequenceEqual("TCP6:");
            var isUdp = key.SequenceEqual("UDP:") || key.SequenceEqual("UDP6:");
            if (!isTcp && !isUdp) continue;
            while (!rest.IsEmpty)
            {
                var name = NextToken(ref rest);
                var value = NextToken(ref rest);
                if (!name.SequenceEqual("inuse")) continue;
                if (isTcp) tcp += (int)ParseLong(value);
                else udp += (int)ParseLong(value);
                break;
            }
        }

        return (tcp, udp);
    }

    /// <summary>Visits each interface of <c>/proc/net/dev</c> with its received and sent byte counters.</summary>
    public static void ParseNetDev(ReadOnlySpan<char> text, CounterRowVisitor visit)
    {
        foreach (var line in text.EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue; // the two header lines
            var name = line[..colon].Trim();
            var rest = line[(colon + 1)..];
            var rx = ParseLong(NextToken(ref rest));
            for (var i = 0; i < 7; i++) NextToken(ref rest); // packets errs drop fifo frame compressed multicast
            var tx = ParseLong(NextToken(ref rest));
            visit(name, rx, tx);
        }
    }

    /// <summary>Visits each device of <c>/proc/diskstats</c> with bytes read and written since boot (sectors are 512 bytes).</summary>
    public static void ParseDiskStats(ReadOnlySpan<char> text, CounterRowVisitor visit)
    {
        foreach (var line in text.EnumerateLines())
        {
            var rest = line;
            NextToken(ref rest); // major
            NextToken(ref rest); // minor
            var name = NextToken(ref rest);
            if (name.IsEmpty) continue;
            NextToken(ref rest); // reads completed
            NextToken(ref rest); // reads merged
            var sectorsRead = ParseLong(NextToken(ref rest));
            NextToken(ref rest); // ms reading
            NextToken(ref rest); // writes completed
            NextToken(ref rest); // writes merged
            var sectorsWritten = ParseLong(NextToken(ref rest));
            visit(name, sectorsRead * 512, sectorsWritten * 512);
        }
    }

    /// <summary>
    /// Parses <c>/proc/self/mounts</c> down to real file systems: block devices (and ZFS datasets),
    /// none of the virtual kinds, each device (ZFS: each pool) once, first mount wins.
    /// </summary>
    public static List<MountEntry> ParseMounts(ReadOnlySpan<char> text)
    {
        var result = new List<MountEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.EnumerateLines())
        {
            var rest = line;
            var device = NextToken(ref rest);
            var mount = NextToken(ref rest);
            var fsType = NextToken(ref rest);
            if (fsType.IsEmpty || !IsRealFileSystem(device, fsType)) continue;
            // ZFS datasets of one pool share its free space; counting each would multiply the pool.
            var key = fsType.SequenceEqual("zfs") && device.IndexOf('/') is var slash and > 0 ? device[..slash] : device;
            if (!seen.Add(key.ToString())) continue;
            result.Add(new MountEntry(device.ToString(), Unescape(mount), fsType.ToString()));
        }

        return result;
    }

    /// <summary>True for file systems that live on a disk; false for tmpfs, proc, overlay, squashfs and friends.</summary>
    public static bool IsRealFileSystem(ReadOnlySpan<char> device, ReadOnlySpan<char> fsType)
    {
        if (fsType.SequenceEqual("zfs")) return true;
        if (!device.StartsWith("/dev/")) return false;
        return fsType switch
        {
            "tmpfs" or "devtmpfs" or "ramfs" or "proc" or "sysfs" or "overlay" or "squashfs" or "iso9660" or "udf"
                or "cgroup" or "cgroup2" or "devpts" or "mqueue" or "debugfs" or "tracefs" or "securityfs"
                or "pstore" or "bpf" or "autofs" or "hugetlbfs" or "configfs" or "fusectl" or "binfmt_misc"
                or "nsfs" or "efivarfs" or "rpc_pipefs" or "nfsd" or "selinuxfs" => false,
            // FUSE is userspace (lxcfs, snapfuse, sshfs) except fuseblk, which ntfs-3g and exfat use on a disk.
            _ when fsType.StartsWith("fuse.") => false,
            _ => true,
        };
    }

    /// <summary>PRETTY_NAME from <c>/etc/os-release</c>, falling back to NAME, or "Linux".</summary>
    public static string ParseOsRelease(ReadOnlySpan<char> text)
    {
        string? name = null;
        foreach (var line in text.EnumerateLines())
        {
            if (line.StartsWith("PRETTY_NAME=")) return Unquote(line["PRETTY_NAME=".Length..]);
            if (line.StartsWith("NAME=")) name = Unquote(line["NAME=".Length..]);
        }

        return name ?? "Linux";
    }

    /// <summary>CPU model and logical processor count from <c>/proc/cpuinfo</c> (x86 and ARM spellings).</summary>
    public static (string Model, int Count) ParseCpuInfo(ReadOnlySpan<char> text)
    {
        string? model = null;
        var count = 0;
        foreach (var line in text.EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key.SequenceEqual("processor")) count++;
            else if (model is null && value.Length > 0
                && (key.SequenceEqual("model name") || key.SequenceEqual("Model") || key.SequenceEqual("cpu model") || key.SequenceEqual("Hardware")))
                model = value.ToString();
        }

        return (model ?? "", count);
    }

    /// <summary>Whether the cpuinfo flags include <c>hypervisor</c> (set by x86 CPUs running under a VM).</summary>
    public static bool HasHypervisorFlag(ReadOnlySpan<char> cpuinfo)
    {
        foreach (var line in cpuinfo.EnumerateLines())
        {
            if (!line.StartsWith("flags")) continue;
            var rest = line[(line.IndexOf(':') + 1)..];
            while (!rest.IsEmpty)
            {
                if (NextToken(ref rest).SequenceEqual("hypervisor")) return true;
            }

            return false;
        }

        return false;
    }

    /// <summary>Returns the next whitespace-separated token and advances past it.</summary>
    public static ReadOnlySpan<char> NextToken(ref ReadOnlySpan<char> text)
    {
        var start = 0;
        while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
        var end = start;
        while (end < text.Length && !char.IsWhiteSpace(text[end])) end++;
        var token = text[start..end];
        text = text[end..];
        return token;
    }

    public static long ParseLong(ReadOnlySpan<char> token) =>
        long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static double ParseDouble(ReadOnlySpan<char> token) =>
        double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value : 0;

    private static CpuTimes ParseCpuLine(ReadOnlySpan<char> rest)
    {
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already inside user.
        ulong total = 0, idle = 0;
        for (var i = 0; i < 8; i++)
        {
            var token = NextToken(ref rest);
            if (token.IsEmpty) break;
            var value = ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
            total += value;
            if (i is 3 or 4) idle += value; // idle and iowait
        }

        return new CpuTimes(total - idle, total);
    }

    /// <summary>Undoes the octal escapes (<c>\040</c> for a space) that the kernel writes into mount paths.</summary>
    private static string Unescape(ReadOnlySpan<char> path)
    {
        if (path.IndexOf('\\') < 0) return path.ToString();
        var builder = new System.Text.StringBuilder(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '\\' && i + 3 < path.Length && IsOctal(path[i + 1]) && IsOctal(path[i + 2]) && IsOctal(path[i + 3]))
            {
                builder.Append((char)(((path[i + 1] - '0') << 6) | ((path[i + 2] - '0') << 3) | (path[i + 3] - '0')));
                i += 3;
            }
            else builder.Append(path[i]);
        }

        return builder.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';

    private static string Unquote(ReadOnlySpan<char> value) => value.Trim().Trim('"').Trim('\'').ToString();
}
