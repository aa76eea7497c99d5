using System.Formats.Tar;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace SentinelX.E2E.Infrastructure;

/// <summary>
/// A real <c>dockerd</c> of the test's own: data root, exec root and socket in a temp directory,
/// no iptables, no bridge and no ip_forward change, so the host is left as it was. The image
/// <see cref="Image"/> is imported offline from busybox-static. Disposing removes every container,
/// stops the daemon and unmounts whatever it left behind, also after a failed test.
/// </summary>
public sealed class DockerDaemon : IAsyncDisposable
{
    public const string Image = "bb:local";
    private const string BusyBox = "/bin/busybox";
    private const string Dockerd = "/usr/sbin/dockerd";

    private ManagedProcess? _process;

    private DockerDaemon(string root)
    {
        Root = root;
#pragma warning disable CA2000 // the HttpClient owns the handler and disposes it with itself
        Http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = new Uri("http://docker/"), Timeout = TimeSpan.FromSeconds(60) };
#pragma warning restore CA2000
    }

    /// <summary>Short on purpose: a unix socket path must fit in 108 bytes.</summary>
    public string Root { get; }

    public string SocketPath => Path.Combine(Root, "docker.sock");

    /// <summary>The Engine API on <see cref="SocketPath"/>.</summary>
    public HttpClient Http { get; }

    public string Output => _process?.Output ?? "";

    public static async Task<DockerDaemon> StartAsync()
    {
        if (!File.Exists(Dockerd)) throw new InvalidOperationException("dockerd is missing: apt-get install docker.io (tests/run.sh does)");
        if (!File.Exists(BusyBox)) throw new InvalidOperationException("/bin/busybox is missing: apt-get install busybox-static (tests/run.sh does)");

        var daemon = new DockerDaemon(Directory.CreateTempSubdirectory("sxd-").FullName);
        try
        {
            daemon._process = ManagedProcess.Start(Dockerd,
            [
                "--data-root", Path.Combine(daemon.Root, "data"),
                "--exec-root", Path.Combine(daemon.Root, "exec"),
                "--pidfile", Path.Combine(daemon.Root, "dockerd.pid"),
                "-H", "unix://" + daemon.SocketPath,
                "--iptables=false", "--ip-forward=false", "--bridge=none",
            ], daemon.Root);
            await Eventually.WaitAsync(async () =>
            {
                if (daemon._process.HasExited) throw new InvalidOperationException("dockerd exited: " + daemon.Output);
                try
                {
                    using var ping = await daemon.Http.GetAsync("_ping");
                    return ping.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "dockerd ready", () => daemon.Output);
            await daemon.ImportBusyBoxAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates and starts a container of <see cref="Image"/> running <c>sh -c script</c>; returns its id.</summary>
    public async Task<string> RunAsync(string name, string script)
    {
        using var created = await Http.PostAsJsonAsync($"containers/create?name={name}", new
        {
            Image,
            Cmd = new[] { "sh", "-c", script },
            HostConfig = new { NetworkMode = "none" },
        });
        var body = await created.Content.ReadAsStringAsync();
        if (created.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"create {name}: {(int)created.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("Id").GetString()!;
        using var started = await Http.PostAsync($"containers/{id}/start", null);
        if (!started.IsSuccessStatusCode) throw new InvalidOperationException($"start {name}: {(int)started.StatusCode} {await started.Content.ReadAsStringAsync()}");
        return id;
    }

    /// <summary>A container that prints tick-1, tick-2, ... once a second and exits promptly on SIGTERM (as PID 1, sh would ignore it).</summary>
    public Task<string> RunTickerAsync(string name) =>
        RunAsync(name, "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done");

    /// <summary>The container's state as the engine reports it ("running", "exited"), or null when it does not exist.</summary>
    public async Task<string?> StateAsync(string name)
    {
        using var response = await Http.GetAsync($"containers/{name}/json");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("State").GetProperty("Status").GetString();
    }

    private async Task ImportBusyBoxAsync()
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "bin/") { Mode = Mode("755") });
            await using var busybox = File.OpenRead(BusyBox);
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = Mode("755"), DataStream = busybox });
            foreach (var applet in new[] { "sh", "sleep", "echo", "cat", "ls" })
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = Mode("777") });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "tmp/") { Mode = Mode("1777") });
        }

        tar.Position = 0;
        using var content = new StreamContent(tar);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        var (repo, tag) = (Image.Split(':')[0], Image.Split(':')[1]);
        using var response = await Http.PostAsync($"images/create?fromSrc=-&repo={repo}&tag={tag}", content);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
            throw new InvalidOperationException($"image import failed: {(int)response.StatusCode} {body}");
    }

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                using var list = await Http.GetAsync("containers/json?all=1");
                foreach (var c in JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateArray())
                {
                    using var _ = await Http.DeleteAsync($"containers/{c.GetProperty("Id").GetString()}?force=true");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException)
            {
                // The daemon is already gone; stopping it below still cleans up.
            }

            await _process.StopAsync(TimeSpan.FromSeconds(15));
            await _process.DisposeAsync();
            _process = null;
        }

        Http.Dispose();
        await UnmountUnderAsync(Root);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Lazily unmounts anything dockerd left mounted under <paramref name="root"/> (overlay layers, shm, netns), deepest first.</summary>
    private static async Task UnmountUnderAsync(string root)
    {
        var mounts = File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal))
            .OrderByDescending(point => point.Length)
            .ToList();
        foreach (var point in mounts)
        {
            using var umount = System.Diagnostics.Process.Start("/usr/bin/umount", ["-l", point]);
            await umount.WaitForExitAsync();
        }
    }
}
