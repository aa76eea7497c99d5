using SentinelX.Shared.Metrics;

namespace SentinelX.Node.Metrics;

/// <summary>
/// Takes one <see cref="MetricSample"/> at a time from /proc and /sys. Rates are deltas against the
/// previous call, so the first sample's rates are 0; a counter that goes back (wrap, reset, a
/// re-created interface) gives 0 for that interval, never a negative rate.
/// </summary>
internal sealed class MetricsCollector
{
    private static readonly TimeSpan MountRefresh = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DeviceRefresh = TimeSpan.FromSeconds(60);

    private readonly string _proc;
    private readonly string _sys;
    private readonly ProcFileReader _reader = new();
    private readonly TemperatureSensors _temperatures;
    private readonly TimeProvider _time;

    private readonly List<CpuTimes> _cores = [];
    private CpuTimes[] _previousCores = [];
    private CpuTimes _previousCpu;
    private long _previousTicks;
    private bool _primed;

    private readonly Dictionary<string, CounterState> _interfaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CounterState> _disks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CounterState>.AlternateLookup<ReadOnlySpan<char>> _interfaceLookup;
    private readonly Dictionary<string, CounterState>.AlternateLookup<ReadOnlySpan<char>> _diskLookup;
    private long _previousNetRx, _previousNetTx, _previousDiskRead, _previousDiskWrite;

    private List<MountEntry> _mounts = [];
    private long _mountsReadAt = long.MinValue;
    private HashSet<string> _wholeDisks = [];
    private long _wholeDisksReadAt = long.MinValue;

    // Per-sample accumulators filled by the row visitors below (kept as fields so the visitors are allocated once).
    private long _netRx, _netTx, _diskRead, _diskWrite;
    private double _seconds;
    private List<InterfaceTraffic> _traffic = [];
    private readonly CounterRowVisitor _visitInterface;
    private readonly CounterRowVisitor _visitDisk;

    /// <param name="procRoot">Where procfs is mounted; tests point it at fixtures.</param>
    /// <param name="sysRoot">Where sysfs is mounted.</param>
    /// <param name="time">The clock rates are measured against; tests pass a fake one.</param>
    public MetricsCollector(string procRoot = "/proc", string sysRoot = "/sys", TimeProvider? time = null)
    {
        _proc = procRoot;
        _sys = sysRoot;
        _time = time ?? TimeProvider.System;
        _temperatures = new TemperatureSensors(sysRoot, _reader, _time);
        _interfaceLookup = _interfaces.GetAlternateLookup<ReadOnlySpan<char>>();
        _diskLookup = _disks.GetAlternateLookup<ReadOnlySpan<char>>();
        _visitInterface = VisitInterface;
        _visitDisk = VisitDisk;
    }

    /// <summary>Reads everything once and returns the sample numbered <paramref name="seq"/>.</summary>
    public MetricSample Collect(long seq, DateTimeOffset timestamp)
    {
        var now = _time.GetTimestamp();
        _seconds = _primed ? _time.GetElapsedTime(_previousTicks, now).TotalSeconds : 0;
        _previousTicks = now;

        // CPU, total and per core.
        var cpu = ProcParsers.ParseStat(_reader.Read(_proc + "/stat"), _cores, out _);
        var cpuPercent = _primed ? ProcParsers.CpuPercent(_previousCpu, cpu) : 0;
        var perCore = new double[_cores.Count];
        for (var i = 0; i < perCore.Length; i++)
            perCore[i] = _primed && i < _previousCores.Length ? Math.Round(ProcParsers.CpuPercent(_previousCores[i], _cores[i]), 2) : 0;
        _previousCpu = cpu;
        if (_previousCores.Length != _cores.Count) _previousCores = new CpuTimes[_cores.Count];
        _cores.CopyTo(_previousCores);

        var (load1, load5, load15) = ProcParsers.ParseLoadAvg(_reader.Read(_proc + "/loadavg"));
        var mem = ProcParsers.ParseMemInfo(_reader.Read(_proc + "/meminfo"));
        var (tcp4, udp4) = ProcParsers.ParseSockstat(_reader.Read(_proc + "/net/sockstat"));
        var (tcp6, udp6) = ProcParsers.ParseSockstat(_reader.Read(_proc + "/net/sockstat6"));
        var uptime = ProcParsers.ParseUptime(_reader.Read(_proc + "/uptime"));

        // Network: per interface and totals without loopback.
        _netRx = _netTx = 0;
        _traffic = new List<InterfaceTraffic>(_interfaces.Count);
        ProcParsers.ParseNetDev(_reader.Read(_proc + "/net/dev"), _visitInterface);
        var netRxBps = _primed ? Rate(_previousNetRx, _netRx) : 0;
        var netTxBps = _primed ? Rate(_previousNetTx, _netTx) : 0;
        (_previousNetRx, _previousNetTx) = (_netRx, _netTx);

        // Disk IO over whole disks only: partitions would count the same bytes twice.
        if (_time.GetElapsedTime(_wholeDisksReadAt, now) >= DeviceRefresh || _wholeDisksReadAt == long.MinValue)
        {
            _wholeDisks = FindWholeDisks(_sys);
            _wholeDisksReadAt = now;
        }

        _diskRead = _diskWrite = 0;
        ProcParsers.ParseDiskStats(_reader.Read(_proc + "/diskstats"), _visitDisk);
        var diskReadBps = _primed ? Rate(_previousDiskRead, _diskRead) : 0;
        var diskWriteBps = _primed ? Rate(_previousDiskWrite, _diskWrite) : 0;
        (_previousDiskRead, _previousDiskWrite) = (_diskRead, _diskWrite);

        // File systems: the mount table changes rarely, statvfs is one syscall each.
        if (_mountsReadAt == long.MinValue || _time.GetElapsedTime(_mountsReadAt, now) >= MountRefresh)
        {
            _mounts = ProcParsers.ParseMounts(_reader.Read(_proc + "/self/mounts"));
            _mountsReadAt = now;
        }

        long diskUsed = 0, diskTotal = 0;
        var mounts = new List<MountUsage>(_mounts.Count);
        foreach (var m in _mounts)
        {
            if (!Native.TryStatVfs(m.MountPoint, out var total, out var used)) continue;
            diskUsed += used;
            diskTotal += total;
            mounts.Add(new MountUsage { Mount = m.MountPoint, Device = m.Device, FsType = m.FsType, UsedBytes = used, TotalBytes = total });
        }

        _primed = true;
        return new MetricSample
        {
            Seq = seq,
            Timestamp = timestamp,
            CpuPercent = Math.Round(cpuPercent, 2),
            CpuPerCore = perCore,
            Load1 = load1,
            Load5 = load5,
            Load15 = load15,
            MemTotalBytes = mem.Total,
            MemUsedBytes = Math.Max(0, mem.Total - mem.Available),
            SwapTotalBytes = mem.SwapTotal,
            SwapUsedBytes = Math.Max(0, mem.SwapTotal - mem.SwapFree),
            DiskUsedBytes = diskUsed,
            DiskTotalBytes = diskTotal,
            DiskReadBps = diskReadBps,
            DiskWriteBps = diskWriteBps,
            NetRxBps = netRxBps,
            NetTxBps = netTxBps,
            NetRxTotal = _netRx,
            NetTxTotal = _netTx,
            TcpConnections = tcp4 + tcp6,
            UdpConnections = udp4 + udp6,
            Processes = CountProcesses(_proc),
            UptimeSeconds = (long)uptime,
            Mounts = mounts,
            Interfaces = _traffic,
            Temperatures = _temperatures.Read(now),
        };
    }

    private void VisitInterface(ReadOnlySpan<char> name, long rx, long tx)
    {
        if (name.SequenceEqual("lo")) return;
        if (!_interfaceLookup.TryGetValue(name, out var state))
        {
            state = new CounterState(name.ToString());
            _interfaceLookup[name] = state;
        }

        var fresh = !state.Seen;
        var rxBps = !fresh && _primed ? Rate(state.First, rx) : 0;
        var txBps = !fresh && _primed ? Rate(state.Second, tx) : 0;
        state.Update(rx, tx);
        _netRx += rx;
        _netTx += tx;
        _traffic.Add(new InterfaceTraffic { Name = state.Name, RxBps = rxBps, TxBps = txBps, RxTotal = rx, TxTotal = tx });
    }

    private void VisitDisk(ReadOnlySpan<char> name, long read, long written)
    {
        if (!_diskLookup.TryGetValue(name, out var state))
        {
            if (!_wholeDisks.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name)) return;
            state = new CounterState(name.ToString());
            _diskLookup[name] = state;
        }

        state.Update(read, written);
        _diskRead += read;
        _diskWrite += written;
    }

    private double Rate(long previous, long current) =>
        _seconds > 0 && current >= previous ? Math.Round((current - previous) / _seconds, 1) : 0;

    /// <summary>
    /// Whole physical disks: the entries of /sys/block that are not virtual (loop, ram, zram, dm-*, md*),
    /// because those sit on top of the physical ones and would count their IO twice.
    /// </summary>
    internal static HashSet<string> FindWholeDisks(string sysRoot)
    {
        var disks = new HashSet<string>(StringComparer.Ordinal);
        var block = Path.Combine(sysRoot, "block");
        if (!Directory.Exists(block)) return disks;
        foreach (var entry in Directory.EnumerateFileSystemEntries(block))
        {
            var target = new FileInfo(entry).LinkTarget ?? "";
            if (target.Contains("/devices/virtual/", StringComparison.Ordinal)) continue;
            disks.Add(Path.GetFileName(entry));
        }

        return disks;
    }

    /// <summary>Processes: the numeric directories of /proc.</summary>
    internal static int CountProcesses(string procRoot) => Math.Max(0, Native.CountNumericDirectories(procRoot));

    /// <summary>The last reading of one named pair of counters.</summary>
    private sealed class CounterState(string name)
    {
        public string Name { get; } = name;
        public bool Seen { get; private set; }
        public long First { get; private set; }
        public long Second { get; private set; }

        public void Update(long first, long second)
        {
            First = first;
            Second = second;
            Seen = true;
        }
    }
}
