using System.Runtime.Versioning;
using FluentAssertions;
using SentinelX.Node.Metrics;
using Xunit;

namespace SentinelX.Tests.Node;

[SupportedOSPlatform("linux")]
public sealed class ProcParsersTests
{
    private const string StatBefore = """
        cpu  8694 0 3175 647754 758 0 42 125 0 0
        cpu0 3882 0 1456 324652 27 0 5 55 0 0
        cpu1 4811 0 1718 323101 730 0 37 70 0 0
        intr 123 0 0
        ctxt 4567
        btime 1795320847
        processes 3300
        """;

    // cpu0: +300 busy (user 200, system 100) of +400 total => 75 %; cpu1: +100 iowait of +400 => 0 %.
    // total: +300 busy of +800 => 37.5 %.
    private const string StatAfter = """
        cpu  8894 0 3275 648154 858 0 42 125 0 0
        cpu0 4082 0 1556 324752 27 0 5 55 0 0
        cpu1 4811 0 1718 323401 830 0 37 70 0 0
        btime 1795320847
        """;

    [Fact]
    public void Cpu_percent_from_two_stat_readings()
    {
        var coresBefore = new List<CpuTimes>();
        var coresAfter = new List<CpuTimes>();
        var before = ProcParsers.ParseStat(StatBefore, coresBefore, out var bootTime);
        var after = ProcParsers.ParseStat(StatAfter, coresAfter, out _);

        bootTime.Should().Be(1795320847);
        coresBefore.Should().HaveCount(2);
        ProcParsers.CpuPercent(before, after).Should().BeApproximately(37.5, 1e-9);
        ProcParsers.CpuPercent(coresBefore[0], coresAfter[0]).Should().BeApproximately(75, 1e-9);
        ProcParsers.CpuPercent(coresBefore[1], coresAfter[1]).Should().Be(0);
    }

    [Fact]
    public void Cpu_percent_is_zero_when_counters_go_back()
    {
        var after = ProcParsers.ParseStat(StatAfter, [], out _);
        var before = ProcParsers.ParseStat(StatBefore, [], out _);
        ProcParsers.CpuPercent(after, before).Should().Be(0);
        ProcParsers.CpuPercent(before, before).Should().Be(0);
    }

    [Fact]
    public void Loadavg_and_uptime()
    {
        ProcParsers.ParseLoadAvg("0.34 0.28 0.14 1/82 3249\n").Should().Be((0.34, 0.28, 0.14));
        ProcParsers.ParseUptime("3309.32 6477.54\n").Should().Be(3309.32);
    }

    [Fact]
    public void Meminfo_used_is_total_minus_available_and_swap_in_bytes()
    {
        var mem = ProcParsers.ParseMemInfo("""
            MemTotal:       24684092 kB
            MemFree:        23000000 kB
            MemAvailable:   24200000 kB
            Buffers:           10000 kB
            Cached:           500000 kB
            SwapCached:            0 kB
            SwapTotal:       2097148 kB
            SwapFree:        1048576 kB
            """);
        mem.Total.Should().Be(24684092L * 1024);
        mem.Available.Should().Be(24200000L * 1024);
        mem.SwapTotal.Should().Be(2097148L * 1024);
        mem.SwapFree.Should().Be(1048576L * 1024);
    }

    [Fact]
    public void Meminfo_without_memavailable_falls_back_to_free_plus_cache()
    {
        var mem = ProcParsers.ParseMemInfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n");
        mem.Available.Should().Be(350 * 1024);
    }

    [Fact]
    public void Sockstat_counts_tcp_and_udp_inuse_only()
    {
        const string v4 = """
            sockets: used 311
            TCP: inuse 17 orphan 1 tw 40 alloc 25 mem 9
            UDP: inuse 4 mem 2
            UDPLITE: inuse 3
            RAW: inuse 1
            FRAG: inuse 0 memory 0
            """;
        const string v6 = """
            TCP6: inuse 6
            UDP6: inuse 2
            UDPLITE6: inuse 5
            RAW6: inuse 1
            FRAG6: inuse 0 memory 0
            """;
        ProcParsers.ParseSockstat(v4).Should().Be((17, 4));
        ProcParsers.ParseSockstat(v6).Should().Be((6, 2));
    }

    [Fact]
    public void Net_dev_gives_rx_and_tx_bytes_per_interface()
    {
        const string text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
              eth0: 88064648    2464    0    0    0     0          0         0   177952    1773    0    0    0     0       0          0
            wg0:12345 10 0 0 0 0 0 0 678 9 0 0 0 0 0 0
            """;
        var rows = new List<(string, long, long)>();
        ProcParsers.ParseNetDev(text, (name, rx, tx) => rows.Add((name.ToString(), rx, tx)));
        rows.Should().Equal(("lo", 3193L, 3193L), ("eth0", 88064648L, 177952L), ("wg0", 12345L, 678L));
    }

    [Fact]
    public void Diskstats_converts_sectors_to_bytes()
    {
        const string text = """
             254       0 vda 48049 21494 2397082 20032 4467 14765 1487464 5293 0 9748 25536 3146 55 45272 211 4 0
             254       1 vda1 100 0 2000 10 50 0 800 5 0 10 20 0 0 0 0 0 0
               7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
            """;
        var rows = new List<(string, long, long)>();
        ProcParsers.ParseDiskStats(text, (name, read, written) => rows.Add((name.ToString(), read, written)));
        rows.Should().Equal(("vda", 2397082L * 512, 1487464L * 512), ("vda1", 2000L * 512, 800L * 512), ("loop0", 0L, 0L));
    }

    [Fact]
    public void Mounts_keep_real_file_systems_once_per_device()
    {
        const string text = """
            proc /proc proc rw,relatime 0 0
            sysfs /sys sysfs rw,relatime 0 0
            devtmpfs /dev devtmpfs rw,relatime 0 0
            tmpfs /run tmpfs rw 0 0
            /dev/vda / ext4 rw,relatime 0 0
            /dev/vda /etc/hosts ext4 rw,relatime 0 0
            /dev/vdb1 /mnt/my\040data xfs rw 0 0
            overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0
            /dev/loop3 /snap/core/1 squashfs ro 0 0
            /dev/sda2 /boot/efi vfat rw 0 0
            lxcfs /proc/cpuinfo fuse.lxcfs rw 0 0
            /dev/sdc1 /media/win fuseblk rw 0 0
            server:/export /mnt/nfs nfs4 rw 0 0
            rpool/ROOT/debian / zfs rw 0 0
            rpool/home /home zfs rw 0 0
            tank /tank zfs rw 0 0
            cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
            """;
        var mounts = ProcParsers.ParseMounts(text);
        mounts.Select(m => (m.Device, m.MountPoint, m.FsType)).Should().Equal(
            ("/dev/vda", "/", "ext4"),
            ("/dev/vdb1", "/mnt/my data", "xfs"),
            ("/dev/sda2", "/boot/efi", "vfat"),
            ("/dev/sdc1", "/media/win", "fuseblk"),
            ("rpool/ROOT/debian", "/", "zfs"),
            ("tank", "/tank", "zfs"));
    }

    [Fact]
    public void Os_release_and_cpuinfo()
    {
        ProcParsers.ParseOsRelease("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n")
            .Should().Be("Debian GNU/Linux 12 (bookworm)");
        ProcParsers.ParseOsRelease("NAME=Alpine\n").Should().Be("Alpine");

        const string x86 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu hypervisor sse\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n";
        ProcParsers.ParseCpuInfo(x86).Should().Be(("AMD EPYC", 2));
        ProcParsers.HasHypervisorFlag(x86).Should().BeTrue();
        ProcParsers.HasHypervisorFlag("flags : fpu sse hypervisorx\n").Should().BeFalse();

        const string arm = "processor\t: 0\nBogoMIPS\t: 108.00\nprocessor\t: 1\nprocessor\t: 2\nprocessor\t: 3\nHardware\t: BCM2835\nModel\t: Raspberry Pi 4 Model B Rev 1.4\n";
        ProcParsers.ParseCpuInfo(arm).Should().Be(("BCM2835", 4));
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("1.1.1.1", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("100.128.0.1", true)]
    [InlineData("169.254.1.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("203.0.113.5", false)]
    [InlineData("2001:4860:4860::8888", true)]
    [InlineData("2001:db8::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::1", false)]
    public void Public_addresses(string address, bool routable) =>
        SentinelX.Shared.Metrics.AddressScope.IsGloballyRoutable(System.Net.IPAddress.Parse(address)).Should().Be(routable);
}
