using System.Diagnostics;
using Xunit;

namespace SentinelX.Tests.Forwarding.Kernel;

/// <summary>
/// Three network namespaces in a row: client (10.77.1.2) — router (10.77.1.1 | 10.77.2.1) — target
/// (10.77.2.2). The target has no route back to the client network, so a reply only finds its way
/// when the router masquerades. Names are unique per lab; everything is deleted on dispose.
/// </summary>
internal sealed class KernelNetnsLab : IAsyncDisposable
{
    public const string RouterClientSide = "10.77.1.1";
    public const string RouterTargetSide = "10.77.2.1";
    public const string Target = "10.77.2.2";

    private readonly List<Process> _servers = [];

    private KernelNetnsLab(string id)
    {
        Client = $"sxk{id}c";
        Router = $"sxk{id}r";
        TargetNs = $"sxk{id}t";
    }

    public string Client { get; }
    public string Router { get; }
    public string TargetNs { get; }

    /// <summary>The prefix that runs a command inside the router namespace.</summary>
    public IReadOnlyList<string> InRouter => ["ip", "netns", "exec", Router];

    public static async Task<KernelNetnsLab> CreateAsync()
    {
        var lab = new KernelNetnsLab(Guid.NewGuid().ToString("N")[..8]);
        try
        {
            foreach (var ns in new[] { lab.Client, lab.Router, lab.TargetNs })
            {
                await RunAsync("ip", "netns", "add", ns);
                await RunAsync("ip", "-n", ns, "link", "set", "lo", "up");
            }

            // Created straight inside the namespaces, so the names never meet in the root namespace.
            await RunAsync("ip", "-n", lab.Client, "link", "add", "c0", "type", "veth", "peer", "name", "r0", "netns", lab.Router);
            await RunAsync("ip", "-n", lab.Router, "link", "add", "r1", "type", "veth", "peer", "name", "t0", "netns", lab.TargetNs);
            await RunAsync("ip", "-n", lab.Client, "addr", "add", "10.77.1.2/24", "dev", "c0");
            await RunAsync("ip", "-n", lab.Router, "addr", "add", RouterClientSide + "/24", "dev", "r0");
            await RunAsync("ip", "-n", lab.Router, "addr", "add", RouterTargetSide + "/24", "dev", "r1");
            await RunAsync("ip", "-n", lab.TargetNs, "addr", "add", Target + "/24", "dev", "t0");
            foreach (var (ns, dev) in new[] { (lab.Client, "c0"), (lab.Router, "r0"), (lab.Router, "r1"), (lab.TargetNs, "t0") })
                await RunAsync("ip", "-n", ns, "link", "set", dev, "up");
            await RunAsync("ip", "-n", lab.Client, "route", "add", "default", "via", RouterClientSide);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a long-running process inside <paramref name="ns"/>; it is killed on dispose.</summary>
    public async Task StartServerAsync(string ns, params string[] argv)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in (string[])["netns", "exec", ns, .. argv]) info.ArgumentList.Add(arg);
        _servers.Add(Process.Start(info)!);
        // socat binds within a few milliseconds; give it time on a busy machine.
        await Task.Delay(300);
    }

    /// <summary>Runs a shell command inside <paramref name="ns"/> and returns its stdout; throws on failure.</summary>
    public static Task<string> ShAsync(string ns, string script) => RunAsync("ip", "netns", "exec", ns, "sh", "-c", script);

    public static async Task<string> RunAsync(params string[] argv)
    {
        var (code, stdout, stderr) = await TryRunAsync(argv);
        Assert.True(code == 0, $"{string.Join(' ', argv)} failed ({code}): {stderr}");
        return stdout;
    }

    public static async Task<(int Code, string Stdout, string Stderr)> TryRunAsync(params string[] argv)
    {
        var info = new ProcessStartInfo(argv[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in argv.Skip(1)) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{string.Join(' ', argv)} did not finish within 60 s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }

        // Deleting a namespace deletes its veth ends, its firewall tables and its conntrack entries.
        foreach (var ns in new[] { Client, Router, TargetNs })
            await TryRunAsync("ip", "netns", "del", ns);
    }
}
