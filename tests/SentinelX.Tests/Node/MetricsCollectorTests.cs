using System.Globalization;
using System.Runtime.Versioning;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.Node.Metrics;
using SentinelX.Shared.Validation;
using Xunit;

namespace SentinelX.Tests.Node;

[SupportedOSPlatform("linux")]
public sealed class MetricsCollectorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sx-collector-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Live_sample_matches_what_the_kernel_reports()
    {
        var collector = new MetricsCollector();
        var sample = collector.Collect(1, DateTimeOffset.UtcNow);

        var memTotalKb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        sample.MemTotalBytes.Should().Be(memTotalKb * 1024);
        sample.MemUsedBytes.Should().BeInRange(1, sample.MemTotalBytes);

        var tcpInUse = SockstatInUse("/proc/net/sockstat", "TCP:") + SockstatInUse("/proc/net/sockstat6", "TCP6:");
        sample.TcpConnections.Should().BeCloseTo(tcpInUse, 10);

        var processes = Directory.GetDirectories("/proc").Count(d => Path.GetFileName(d).All(char.IsAsciiDigit));
        sample.Processes.Should().BeCloseTo(processes, 10);

        var cores = File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && char.IsAsciiDigit(l[3]));
        sample.CpuPerCore.Should().HaveCount(cores);

        var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        sample.UptimeSeconds.Should().BeCloseTo((long)uptime, 2);

        // The root file system is real here (ext4 on /dev/vda) and statvfs agrees with df.
        sample.Mounts.Should().Contain(m => m.Mount == "/");
        var root = sample.Mounts!.Single(m => m.Mount == "/");
        root.TotalBytes.Should().Be(DfTotalBytes("/"));
        sample.DiskTotalBytes.Should().Be(sample.Mounts!.Sum(m => m.TotalBytes));
        sample.Interfaces.Should().NotContain(i => i.Name == "lo");

        // First sample: no previous reading, so every rate is 0.
        (sample.CpuPercent, sample.NetRxBps, sample.NetTxBps, sample.DiskReadBps, sample.DiskWriteBps).Should().Be((0.0, 0.0, 0.0, 0.0, 0.0));
        ProtocolValidation.Validate(sample).Should().BeNull();
    }

    [Fact]
    public void Live_disk_write_shows_up_as_a_write_rate()
    {
        var collector = new MetricsCollector();
        collector.Collect(1, DateTimeOffset.UtcNow);
        var path = Path.Combine(_root, "blob");
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough))
        {
            file.Write(new byte[8 * 1024 * 1024]);
            file.Flush(flushToDisk: true);
        }

        Thread.Sleep(200);
        var second = collector.Collect(2, DateTimeOffset.UtcNow);
        second.DiskWriteBps.Should().BeGreaterThan(1024 * 1024, "8 MiB were written and fsynced within about a second");
        second.CpuPercent.Should().BeInRange(0, 100);
        ProtocolValidation.Validate(second).Should().BeNull();
    }

    [Fact]
    public void Rates_come_from_deltas_and_a_counter_that_goes_back_gives_zero()
    {
        var proc = Path.Combine(_root, "proc");
        var sys = Path.Combine(_root, "sys");
        WriteFixture(proc, sys, netRx: 1_000_000, netTx: 500, sectorsRead: 100, cpuUser: 1000, cpuIdle: 9000);
        var time = new FakeTimeProvider();
        var collector = new MetricsCollector(proc, sys, time);

        var first = collector.Collect(1, DateTimeOffset.UtcNow);
        first.NetRxTotal.Should().Be(1_000_000 + 70); // eth0 + wg0, not lo
        first.NetRxBps.Should().Be(0);
        first.Processes.Should().Be(2);
        first.Load1.Should().Be(1.5);
        first.TcpConnections.Should().Be(7 + 3);
        first.UdpConnections.Should().Be(2 + 1);
        first.MemUsedBytes.Should().Be((4000 - 1000) * 1024L);
        first.SwapUsedBytes.Should().Be(512 * 1024L);
        first.Temperatures!.Select(t => (t.Sensor, t.Celsius)).Should().Equal(("acpitz", 41.5), ("coretemp_package_id_0", 55.0));

        time.Advance(TimeSpan.FromSeconds(2));
        // +2,000,000 rx on eth0, +512 * 1000 read on vda (the partition and the loop device must not count), cpu 50 % busy.
        WriteFixture(proc, sys, netRx: 3_000_000, netTx: 500, sectorsRead: 1100, cpuUser: 1100, cpuIdle: 9100);
        var second = collector.Collect(2, DateTimeOffset.UtcNow);
        second.CpuPercent.Should().Be(50);
        second.CpuPerCore.Should().Equal(50.0);
        second.NetRxBps.Should().Be(1_000_000, "2,000,000 bytes arrived over 2 s");
        second.NetTxBps.Should().Be(0);
        second.Interfaces!.Single(i => i.Name == "eth0").RxBps.Should().Be(second.NetRxBps);
        second.DiskReadBps.Should().Be(256_000);

        time.Advance(TimeSpan.FromSeconds(1));
        // Interface re-created / counter wrapped: lower than before.
        WriteFixture(proc, sys, netRx: 10, netTx: 0, sectorsRead: 5, cpuUser: 5, cpuIdle: 5);
        var third = collector.Collect(3, DateTimeOffset.UtcNow);
        (third.NetRxBps, third.NetTxBps, third.DiskReadBps, third.CpuPercent).Should().Be((0.0, 0.0, 0.0, 0.0));
        third.Interfaces!.Should().OnlyContain(i => i.RxBps >= 0 && i.TxBps >= 0);
    }

    [Fact]
    public void Two_samples_at_the_same_instant_give_zero_rates_not_a_division_by_zero()
    {
        var proc = Path.Combine(_root, "proc");
        var sys = Path.Combine(_root, "sys");
        WriteFixture(proc, sys, netRx: 1_000, netTx: 0, sectorsRead: 1, cpuUser: 10, cpuIdle: 10);
        var collector = new MetricsCollector(proc, sys, new FakeTimeProvider());
        collector.Collect(1, DateTimeOffset.UtcNow);
        WriteFixture(proc, sys, netRx: 9_000, netTx: 0, sectorsRead: 9, cpuUser: 20, cpuIdle: 20);

        var second = collector.Collect(2, DateTimeOffset.UtcNow);

        (second.NetRxBps, second.DiskReadBps).Should().Be((0.0, 0.0));
        ProtocolValidation.Validate(second).Should().BeNull();
    }

    [Fact]
    public void The_mount_table_is_read_again_only_after_thirty_seconds()
    {
        var proc = Path.Combine(_root, "proc");
        var sys = Path.Combine(_root, "sys");
        WriteFixture(proc, sys, netRx: 0, netTx: 0, sectorsRead: 0, cpuUser: 1, cpuIdle: 1);
        var time = new FakeTimeProvider();
        var collector = new MetricsCollector(proc, sys, time);
        File.WriteAllText(Path.Combine(proc, "self", "mounts"), $"/dev/vda / ext4 rw 0 0\n/dev/vdb {_root} ext4 rw 0 0\n");
        collector.Collect(1, DateTimeOffset.UtcNow).Mounts!.Select(m => m.Mount).Should().Equal("/", _root);
        File.WriteAllText(Path.Combine(proc, "self", "mounts"), "/dev/vda / ext4 rw 0 0\n");

        time.Advance(TimeSpan.FromSeconds(29));
        collector.Collect(2, DateTimeOffset.UtcNow).Mounts!.Select(m => m.Mount).Should().Equal("/", _root);
        time.Advance(TimeSpan.FromSeconds(1));
        collector.Collect(3, DateTimeOffset.UtcNow).Mounts!.Select(m => m.Mount).Should().Equal("/");
    }

    private static void WriteFixture(string proc, string sys, long netRx, long netTx, long sectorsRead, long cpuUser, long cpuIdle)
    {
        Directory.CreateDirectory(Path.Combine(proc, "net"));
        Directory.CreateDirectory(Path.Combine(proc, "self"));
        Directory.CreateDirectory(Path.Combine(proc, "1"));
        Directory.CreateDirectory(Path.Combine(proc, "4242"));
        File.WriteAllText(Path.Combine(proc, "stat"), $"cpu  {cpuUser} 0 0 {cpuIdle} 0 0 0 0 0 0\ncpu0 {cpuUser} 0 0 {cpuIdle} 0 0 0 0 0 0\nbtime 1700000000\n");
        File.WriteAllText(Path.Combine(proc, "loadavg"), "1.50 1.00 0.50 2/100 999\n");
        File.WriteAllText(Path.Combine(proc, "meminfo"), "MemTotal: 4000 kB\nMemFree: 500 kB\nMemAvailable: 1000 kB\nSwapTotal: 1024 kB\nSwapFree: 512 kB\n");
        File.WriteAllText(Path.Combine(proc, "uptime"), "1234.5 99.0\n");
        File.WriteAllText(Path.Combine(proc, "net", "sockstat"), "sockets: used 9\nTCP: inuse 7 orphan 0 tw 3 alloc 8 mem 1\nUDP: inuse 2 mem 0\n");
        File.WriteAllText(Path.Combine(proc, "net", "sockstat6"), "TCP6: inuse 3\nUDP6: inuse 1\n");
        File.WriteAllText(Path.Combine(proc, "net", "dev"),
            "Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n" +
            "    lo: 999999 1 0 0 0 0 0 0 999999 1 0 0 0 0 0 0\n" +
            $"  eth0: {netRx} 10 0 0 0 0 0 0 {netTx} 5 0 0 0 0 0 0\n" +
            "   wg0: 70 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        File.WriteAllText(Path.Combine(proc, "diskstats"),
            $" 254 0 vda 10 0 {sectorsRead} 0 10 0 0 0 0 0 0\n" +
            $" 254 1 vda1 10 0 {sectorsRead} 0 10 0 0 0 0 0 0\n" +
            $"   7 0 loop0 10 0 {sectorsRead * 3} 0 0 0 0 0 0 0 0\n");
        File.WriteAllText(Path.Combine(proc, "self", "mounts"), "/dev/vda / ext4 rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n");

        var block = Path.Combine(sys, "block");
        if (!Directory.Exists(block))
        {
            Directory.CreateDirectory(block);
            File.CreateSymbolicLink(Path.Combine(block, "vda"), "../devices/pci0000:00/virtio1/block/vda");
            File.CreateSymbolicLink(Path.Combine(block, "loop0"), "../devices/virtual/block/loop0");
            var zone = Directory.CreateDirectory(Path.Combine(sys, "class", "thermal", "thermal_zone0")).FullName;
            File.WriteAllText(Path.Combine(zone, "type"), "acpitz\n");
            File.WriteAllText(Path.Combine(zone, "temp"), "41500\n");
            Directory.CreateDirectory(Path.Combine(sys, "class", "thermal", "cooling_device0"));
            var hwmon = Directory.CreateDirectory(Path.Combine(sys, "class", "hwmon", "hwmon0")).FullName;
            File.WriteAllText(Path.Combine(hwmon, "name"), "coretemp\n");
            File.WriteAllText(Path.Combine(hwmon, "temp1_input"), "55000\n");
            File.WriteAllText(Path.Combine(hwmon, "temp1_label"), "Package id 0\n");
        }
    }

    private static int SockstatInUse(string path, string prefix)
    {
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix + " ", StringComparison.Ordinal));
        if (line is null) return 0;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(parts[Array.IndexOf(parts, "inuse") + 1], CultureInfo.InvariantCulture);
    }

    private static long DfTotalBytes(string mount)
    {
        using var df = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("df", ["-B1", "--output=size", mount])
        {
            RedirectStandardOutput = true,
        })!;
        var output = df.StandardOutput.ReadToEnd();
        df.WaitForExit();
        return long.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), CultureInfo.InvariantCulture);
    }
}
