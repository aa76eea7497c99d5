using System.IO.Enumeration;
using System.Runtime.InteropServices;
using SentinelX.Node.Metrics;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Processes;

/// <summary>
/// The processes using the most CPU or memory, read from <c>/proc</c> the way <c>top</c> does: every
/// process's CPU time twice, <see cref="Window"/> apart, over the CPU time that passed meanwhile on
/// one core (from <c>/proc/stat</c>), and its resident set. Only the processes that make the list are
/// named (stat, status, cmdline). Requests that arrive while a measurement runs share it, so
/// however many people watch, the Node walks <c>/proc</c> at most twice per window.
/// </summary>
internal sealed class ProcessSampler
{
    /// <summary>Long enough for a busy process to gather some clock ticks (100 a second), short enough for a live view.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);

    private static readonly long PageSize = Environment.SystemPageSize;

    private readonly string _proc;
    private readonly string _statPath;
    private readonly TimeProvider _time;
    private readonly UserNames _users;

    // Everything below is reused between requests and touched only under _lock: a request costs a few
    // syscalls per process and allocates per process only what it sends.
    private readonly Lock _lock = new();
    private readonly ProcFileReader _reader = new();
    private readonly List<CpuTimes> _cores = [];
    private readonly Dictionary<int, Tracked> _tracked = [];
    private readonly List<int> _gone = [];
    private readonly List<Candidate> _seen = [];
    private readonly byte[] _cmdline = new byte[ProcessParsers.MaxCommandBytes + 1];
    private readonly char[] _cmdlineChars = new char[System.Text.Encoding.UTF8.GetMaxCharCount(ProcessParsers.MaxCommandBytes)];
    private Task<Measurement>? _measuring;
    private int _pass;

    /// <param name="procRoot">Where procfs is mounted; tests point it at fixtures.</param>
    /// <param name="passwdPath">Where user names come from.</param>
    /// <param name="time">The clock the window is waited on; tests pass a fake one.</param>
    public ProcessSampler(string procRoot = "/proc", string passwdPath = "/etc/passwd", TimeProvider? time = null)
    {
        _proc = procRoot;
        _statPath = Path.Combine(procRoot, "stat");
        _time = time ?? TimeProvider.System;
        _users = new UserNames(passwdPath);
    }

    /// <summary>At most <paramref name="top"/> processes by <paramref name="sort"/> (already validated), highest first.</summary>
    public async Task<ProcessTopResult> TopAsync(int top, string sort, CancellationToken ct)
    {
        Task<Measurement> measuring;
        lock (_lock)
        {
            // A measurement in progress serves everyone who asks before it ends; a finished one is never reused.
            if (_measuring is not { IsCompleted: false }) _measuring = MeasureAsync();
            measuring = _measuring;
        }

        var measurement = await measuring.WaitAsync(ct);
        lock (_lock)
        {
            return new ProcessTopResult { Processes = Describe(measurement, top, sort == ProcessNames.Memory), SampledMs = measurement.Milliseconds };
        }
    }

    /// <summary>Both readings and the wait between them. Not cancelled by one caller: others may be waiting for it.</summary>
    private async Task<Measurement> MeasureAsync()
    {
        CpuTimes before;
        long started;
        lock (_lock)
        {
            before = ReadCpu();
            started = _time.GetTimestamp();
            Scan(++_pass, collect: false);
        }

        await Task.Delay(Window, _time).ConfigureAwait(false);

        lock (_lock)
        {
            var after = ReadCpu();
            var milliseconds = (int)Math.Round(_time.GetElapsedTime(started).TotalMilliseconds);
            Scan(++_pass, collect: true);
            // What one core could have spent meanwhile; a machine whose /proc/stat did not move shows 0 for everyone.
            var oneCore = after.Total > before.Total ? (double)(after.Total - before.Total) / Math.Max(1, _cores.Count) : 0;
            return new Measurement([.. _seen], oneCore, milliseconds);
        }
    }

    private CpuTimes ReadCpu() => ProcParsers.ParseStat(_reader.Read(_statPath), _cores, out _);

    /// <summary>
    /// Reads every process's stat once. The first pass records CPU times; the second adds each process
    /// with the ticks it used since (all of them for one that started in between) to <see cref="_seen"/>.
    /// A process that is gone by the time its file is read is simply not there.
    /// </summary>
    private void Scan(int pass, bool collect)
    {
        _seen.Clear();
        var pids = new FileSystemEnumerable<int>(_proc, static (ref entry) => ParsePid(entry.FileName))
        {
            ShouldIncludePredicate = static (ref entry) => entry.IsDirectory && ParsePid(entry.FileName) > 0,
        };
        foreach (var pid in pids)
        {
            ref var tracked = ref CollectionsMarshal.GetValueRefOrAddDefault(_tracked, pid, out var known);
            if (!known) tracked.StatPath = Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "stat");
            if (!ProcessParsers.TryParseStat(_reader.Read(tracked.StatPath), out var stat, out _)) continue;

            if (collect)
            {
                var sameProcess = tracked.Pass == pass - 1 && tracked.StartTime == stat.StartTime && stat.CpuTicks >= tracked.CpuTicks;
                _seen.Add(new Candidate(pid, stat.StartTime, sameProcess ? stat.CpuTicks - tracked.CpuTicks : stat.CpuTicks, stat.RssPages));
            }

            tracked = new Tracked { StatPath = tracked.StatPath, CpuTicks = stat.CpuTicks, StartTime = stat.StartTime, Pass = pass };
        }

        // Forget processes that ended (and directories that could not be read), so the table stays the size of the process list.
        _gone.Clear();
        foreach (var (pid, tracked) in _tracked)
        {
            if (tracked.Pass != pass) _gone.Add(pid);
        }

        foreach (var pid in _gone) _tracked.Remove(pid);
    }

    /// <summary>Names the highest <paramref name="top"/>; one that ended or whose pid was reused since the measurement is passed over.</summary>
    private List<ProcessInfo> Describe(Measurement measurement, int top, bool byMemory)
    {
        var ranked = measurement.Candidates.AsSpan();
        ranked.Sort(byMemory ? ByMemory : ByCpu);
        _users.Refresh();
        var result = new List<ProcessInfo>(Math.Min(top, ranked.Length));
        foreach (var candidate in ranked)
        {
            if (result.Count == top) break;
            if (Describe(candidate, measurement.OneCoreTicks) is { } process) result.Add(process);
        }

        return result;
    }

    private ProcessInfo? Describe(Candidate candidate, double oneCoreTicks)
    {
        var directory = Path.Combine(_proc, candidate.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var statText = _reader.Read(Path.Combine(directory, "stat"));
        if (!ProcessParsers.TryParseStat(statText, out var stat, out var nameRange) || stat.StartTime != candidate.StartTime) return null;
        var name = ProcessParsers.Name(statText[nameRange]);

        var uid = ProcessParsers.ParseEffectiveUid(_reader.Read(Path.Combine(directory, "status")));
        if (uid is null) return null;

        var length = ReadPrefix(Path.Combine(directory, "cmdline"), _cmdline);
        var more = length > ProcessParsers.MaxCommandBytes;
        var command = ProcessParsers.Command(_cmdline.AsSpan(0, Math.Min(length, ProcessParsers.MaxCommandBytes)), more, name, _cmdlineChars);

        return new ProcessInfo
        {
            Pid = candidate.Pid,
            Name = name,
            User = _users.Of(uid.Value),
            CpuPercent = oneCoreTicks > 0 ? Math.Round(100 * candidate.Ticks / oneCoreTicks, 1) : 0,
            MemBytes = candidate.RssPages * PageSize,
            Command = command,
        };
    }

    /// <summary>Reads at most <paramref name="buffer"/>'s length: a command line can be megabytes and only its start is shown.</summary>
    private static int ReadPrefix(string path, byte[] buffer)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var length = 0;
            while (length < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(length), length);
                if (n == 0) break;
                length += n;
            }

            return length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The pid a /proc entry names, or 0 for the other entries (self, net, stat…).</summary>
    private static int ParsePid(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 10) return 0;
        foreach (var c in name)
        {
            if (!char.IsAsciiDigit(c)) return 0;
        }

        return int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : 0;
    }

    // Highest first; equal ones by the other measure, then by pid so the order does not flicker between refreshes.
    private static readonly Comparison<Candidate> ByCpu = static (a, b) =>
        b.Ticks != a.Ticks ? b.Ticks.CompareTo(a.Ticks) : b.RssPages != a.RssPages ? b.RssPages.CompareTo(a.RssPages) : a.Pid.CompareTo(b.Pid);

    private static readonly Comparison<Candidate> ByMemory = static (a, b) =>
        b.RssPages != a.RssPages ? b.RssPages.CompareTo(a.RssPages) : b.Ticks != a.Ticks ? b.Ticks.CompareTo(a.Ticks) : a.Pid.CompareTo(b.Pid);

    private struct Tracked
    {
        public string StatPath;
        public ulong CpuTicks;
        public ulong StartTime;
        public int Pass;
    }

    /// <summary>A process of the second reading: the ticks it used during the window and its resident pages.</summary>
    private readonly record struct Candidate(int Pid, ulong StartTime, ulong Ticks, long RssPages);

    /// <summary>One finished measurement; <see cref="Candidates"/> is its own copy, sorted in place by whoever describes it.</summary>
    private sealed record Measurement(Candidate[] Candidates, double OneCoreTicks, int Milliseconds);
}
