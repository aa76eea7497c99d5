using System.Globalization;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using SentinelX.Node.Processes;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;
using Xunit;

namespace SentinelX.Tests.Processes;

/// <summary>
/// The Node's process list over a /proc tree written by the test (two cores, a virtual clock), then
/// over this machine's real /proc with a busy thread in the test process.
/// </summary>
public sealed class ProcessSamplerTests : IDisposable
{
    private static readonly long PageSize = Environment.SystemPageSize;

    private readonly string _root = Directory.CreateTempSubdirectory("sx-processes-").FullName;
    private readonly string _proc;
    private readonly string _passwd;
    private readonly FakeTimeProvider _time = new();

    public ProcessSamplerTests()
    {
        _proc = Directory.CreateDirectory(Path.Combine(_root, "proc")).FullName;
        _passwd = Path.Combine(_root, "passwd");
        File.WriteAllText(_passwd, "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\npostgres:x:110:118::/var/lib/postgresql:/bin/bash\n");
        // Entries of /proc that are not processes.
        Directory.CreateDirectory(Path.Combine(_proc, "net"));
        Directory.CreateDirectory(Path.Combine(_proc, "1abc"));
        File.WriteAllText(Path.Combine(_proc, "uptime"), "1.00 1.00\n");
        CpuTotal(1000);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ProcessSampler NewSampler() => new(_proc, _passwd, _time);

    [Fact]
    public async Task Cpu_is_the_share_of_one_core_between_two_readings_half_a_second_apart()
    {
        Process(10, "busy", ticks: 500, rss: 100, uid: 33, cmdline: "nginx\0-g\0daemon off;\0");
        Process(20, "idle", ticks: 100, rss: 900, uid: 0, cmdline: "sshd\0");
        Process(30, "half", ticks: 0, rss: 50, uid: 110, cmdline: "postgres\0");
        Process(50, "short-lived", ticks: 10, rss: 10, uid: 0, cmdline: "sleep\0001\0");
        var sampler = NewSampler();

        var pending = sampler.TopAsync(10, ProcessNames.Cpu, CancellationToken.None);
        pending.IsCompleted.Should().BeFalse("the second reading waits for the window");

        // During the window both cores pass 100 ticks each (200 in all): 150 ticks of one process is 150 %.
        CpuTotal(1200);
        Process(10, "busy", ticks: 650, rss: 100, uid: 33, cmdline: "nginx\0-g\0daemon off;\0");
        Process(30, "half", ticks: 50, rss: 50, uid: 110, cmdline: "postgres\0");
        Process(40, "new", ticks: 20, rss: 5, uid: 1234, cmdline: "cron\0");
        Directory.Delete(Path.Combine(_proc, "50"), recursive: true);
        _time.Advance(ProcessSampler.Window);
        var result = await pending;

        result.SampledMs.Should().Be(500);
        result.Processes.Select(p => (p.Pid, p.CpuPercent)).Should().Equal((10, 150.0), (30, 50.0), (40, 20.0), (20, 0.0));
        var busy = result.Processes[0];
        busy.Should().Be(new ProcessInfo { Pid = 10, Name = "busy", User = "www-data", CpuPercent = 150, MemBytes = 100 * PageSize, Command = "nginx -g daemon off;" });
        result.Processes.Single(p => p.Pid == 40).User.Should().Be("1234", "a uid /etc/passwd does not know shows as its number");
        ProtocolValidation.Validate(result, 10).Should().BeNull();
    }

    [Fact]
    public async Task Memory_sort_and_top_take_the_largest_resident_sets()
    {
        Process(1, "small", ticks: 0, rss: 10, uid: 0, cmdline: "a\0");
        Process(2, "large", ticks: 0, rss: 5000, uid: 0, cmdline: "b\0");
        Process(3, "medium", ticks: 0, rss: 700, uid: 0, cmdline: "c\0");

        var result = await MeasureAsync(NewSampler(), 2, ProcessNames.Memory);

        result.Processes.Select(p => (p.Name, p.MemBytes)).Should().Equal(("large", 5000 * PageSize), ("medium", 700 * PageSize));
    }

    [Fact]
    public async Task A_pid_reused_during_the_window_counts_as_a_new_process()
    {
        Process(7, "old", ticks: 900, rss: 1, uid: 0, cmdline: "old\0", start: 100);
        var sampler = NewSampler();

        var pending = sampler.TopAsync(5, ProcessNames.Cpu, CancellationToken.None);
        CpuTotal(1200);
        Process(7, "new", ticks: 30, rss: 1, uid: 0, cmdline: "new\0", start: 5000);
        _time.Advance(ProcessSampler.Window);

        // 900 → 30 would be negative for one process; for a new one all 30 ticks are in the window.
        (await pending).Processes.Should().ContainSingle().Which.Should().Match<ProcessInfo>(p => p.Name == "new" && p.CpuPercent == 30);
    }

    [Fact]
    public async Task Hostile_and_half_gone_processes_are_shown_safely_or_skipped()
    {
        Process(100, "a) R 1 (b", ticks: 0, rss: 1, uid: 0, cmdline: "x\0");
        Process(101, "kworker/0:1", ticks: 0, rss: 0, uid: 0, cmdline: "");
        Process(102, "no-status", ticks: 0, rss: 1, uid: 0, cmdline: "x\0");
        File.Delete(Path.Combine(_proc, "102", "status"));
        Process(103, "garbled", ticks: 0, rss: 1, uid: 0, cmdline: "x\0");
        File.WriteAllText(Path.Combine(_proc, "103", "stat"), "103 (garbled) S 1 2 3");
        Process(104, "huge", ticks: 0, rss: 1, uid: 0, cmdline: null);
        using (var file = File.Create(Path.Combine(_proc, "104", "cmdline")))
        {
            // 8 MiB of arguments: only the first few KB are ever read.
            var chunk = Encoding.ASCII.GetBytes(new string('A', 1023) + "\0");
            for (var i = 0; i < 8 * 1024; i++) file.Write(chunk);
        }
        Process(105, "no-cmdline", ticks: 0, rss: 1, uid: 0, cmdline: null);
        Process(106, "evil", ticks: 0, rss: 1, uid: 0, cmdline: "sh\0-c\0printf '\u001b]0;pwned\u0007'\nid\0");

        var result = await MeasureAsync(NewSampler(), ProcessNames.MaxTop, ProcessNames.Cpu);

        var byPid = result.Processes.ToDictionary(p => p.Pid);
        byPid.Keys.Should().BeEquivalentTo([100, 101, 104, 105, 106]);
        byPid[100].Name.Should().Be("a) R 1 (b");
        byPid[101].Command.Should().Be("[kworker/0:1]");
        byPid[104].Command.Should().HaveLength(ProcessNames.MaxCommandLength).And.StartWith("AAAA").And.EndWith("…");
        byPid[105].Command.Should().Be("[no-cmdline]", "a command line that cannot be read is shown like a kernel thread's");
        byPid[106].Command.Should().Be("sh -c printf '?]0;pwned?'?id");
        ProtocolValidation.Validate(result, ProcessNames.MaxTop).Should().BeNull();
    }

    [Fact]
    public async Task Requests_during_a_measurement_share_it_and_one_caller_giving_up_stops_nobody()
    {
        Process(9, "worker", ticks: 0, rss: 1, uid: 0, cmdline: "w\0");
        var sampler = NewSampler();
        using var leaving = new CancellationTokenSource();

        var first = sampler.TopAsync(5, ProcessNames.Cpu, leaving.Token);
        Process(9, "worker", ticks: 100, rss: 1, uid: 0, cmdline: "w\0");
        var second = sampler.TopAsync(5, ProcessNames.Memory, CancellationToken.None);
        await leaving.CancelAsync();
        CpuTotal(1200);
        Process(9, "worker", ticks: 150, rss: 1, uid: 0, cmdline: "w\0");
        _time.Advance(ProcessSampler.Window);

        Func<Task> gaveUp = () => first;
        await gaveUp.Should().ThrowAsync<OperationCanceledException>();
        // Its own first reading would have been 100 ticks (50 %); the shared one started at 0.
        (await second).Processes.Single().CpuPercent.Should().Be(150);
    }

    [Fact]
    public async Task On_this_machine_the_test_process_with_busy_threads_is_ranked_by_the_CPU_the_kernel_gave_it()
    {
        using var stop = new CancellationTokenSource();
        var busy = Enumerable.Range(0, Environment.ProcessorCount * 2).Select(_ => new Thread(() =>
        {
            var x = 0UL;
            while (!stop.IsCancellationRequested) x++;
            GC.KeepAlive(x);
        }) { IsBackground = true, Name = "busy" }).ToList();
        busy.ForEach(t => t.Start());
        try
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = await new ProcessSampler().TopAsync(ProcessNames.MaxTop, ProcessNames.Cpu, CancellationToken.None);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            self.Refresh();
            var kernelShare = 100 * (self.TotalProcessorTime - cpuBefore) / elapsed;

            // On an idle machine this process is first. Where others build beside the tests their
            // compilers may outrun it, so what is checked is that its share is the one the kernel
            // accounted to it and that everything is ranked by share.
            var listed = result.Processes.Should().Contain(p => p.Pid == Environment.ProcessId).Which;
            listed.CpuPercent.Should().BeGreaterThan(0).And.BeApproximately(kernelShare, 5 + kernelShare * 0.4);
            result.Processes.Select(p => p.CpuPercent).Should().BeInDescendingOrder();
            if (result.Processes[0].Pid != Environment.ProcessId)
                result.Processes.TakeWhile(p => p.Pid != Environment.ProcessId).Should().OnlyContain(p => p.CpuPercent >= listed.CpuPercent);
            result.SampledMs.Should().BeInRange(500, 5000);
            listed.User.Should().Be(Environment.UserName);
            listed.Command.Should().Contain(Path.GetFileName(Environment.ProcessPath!));
            listed.MemBytes.Should().BeGreaterThan(10L << 20);
            ProtocolValidation.Validate(result, ProcessNames.MaxTop).Should().BeNull();
        }
        finally
        {
            await stop.CancelAsync();
            busy.ForEach(t => t.Join());
        }
    }

    [Fact]
    public async Task On_this_machine_memory_sort_agrees_with_the_kernel()
    {
        var result = await new ProcessSampler().TopAsync(ProcessNames.MaxTop, ProcessNames.Memory, CancellationToken.None);

        result.Processes.Select(p => p.MemBytes).Should().BeInDescendingOrder();
        var init = result.Processes.FirstOrDefault(p => p.Pid == 1);
        if (init is not null) init.User.Should().Be("root");
        var self = result.Processes.Should().Contain(p => p.Pid == Environment.ProcessId).Which;
        var vmRssKb = long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        self.MemBytes.Should().BeCloseTo(vmRssKb * 1024, 64UL << 20);
    }

    private async Task<ProcessTopResult> MeasureAsync(ProcessSampler sampler, int top, string sort)
    {
        var pending = sampler.TopAsync(top, sort, CancellationToken.None);
        CpuTotal(1200);
        _time.Advance(ProcessSampler.Window);
        return await pending;
    }

    /// <summary>/proc/stat of a two-core machine whose CPUs together have spent <paramref name="total"/> ticks.</summary>
    private void CpuTotal(long total) =>
        File.WriteAllText(Path.Combine(_proc, "stat"),
            $"cpu  {total / 4} 0 0 {total * 3 / 4} 0 0 0 0 0 0\ncpu0 {total / 8} 0 0 {total * 3 / 8} 0 0 0 0 0 0\ncpu1 {total / 8} 0 0 {total * 3 / 8} 0 0 0 0 0 0\nbtime 1700000000\n");

    /// <summary>Writes /proc/[pid] with stat, status and (unless null) cmdline, as the kernel lays them out.</summary>
    private void Process(int pid, string name, ulong ticks, long rss, uint uid, string? cmdline, ulong start = 100)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_proc, pid.ToString(CultureInfo.InvariantCulture))).FullName;
        var utime = ticks / 2;
        File.WriteAllText(Path.Combine(dir, "stat"),
            $"{pid} ({name}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 {utime} {ticks - utime} 0 0 20 0 1 0 {start} 10000000 {rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
        File.WriteAllText(Path.Combine(dir, "status"), $"Name:\t{name}\nState:\tS (sleeping)\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t0\t0\t0\t0\n");
        if (cmdline is not null) File.WriteAllText(Path.Combine(dir, "cmdline"), cmdline);
    }
}
