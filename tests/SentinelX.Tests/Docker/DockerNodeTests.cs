using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Docker;

/// <summary>The Node's Docker pieces that do not need a daemon: log framing, usage arithmetic, names, settings, absence.</summary>
public sealed class DockerNodeTests
{
    [Fact]
    public async Task Log_frames_are_unwrapped_in_order_even_when_split_across_reads()
    {
        var payloads = new[] { "tick-1\n", "oops on stderr\n", new string('x', 40_000) + "\n", "" , "tick-2\n" };
        using var source = new MemoryStream();
        foreach (var (text, i) in payloads.Select((t, i) => (t, i)))
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var header = new byte[8];
            header[0] = (byte)(i == 1 ? 2 : 1);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)bytes.Length);
            source.Write(header);
            source.Write(bytes);
        }

        source.Position = 0;
        var received = new MemoryStream();
        await using var trickle = new TrickleStream(source, 3);
        await DockerLogFrames.CopyAsync(trickle, (chunk, _) =>
        {
            received.Write(chunk.Span);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);

        Encoding.UTF8.GetString(received.ToArray()).Should().Be(string.Concat(payloads));
    }

    [Fact]
    public async Task A_log_cut_inside_a_frame_or_without_frames_is_reported()
    {
        var cut = new byte[] { 1, 0, 0, 0, 0, 0, 0, 10, (byte)'a', (byte)'b' };
        var act = () => DockerLogFrames.CopyAsync(new MemoryStream(cut), (_, _) => ValueTask.CompletedTask, CancellationToken.None);
        await act.Should().ThrowAsync<InvalidDataException>().WithMessage("*inside a frame*");

        var raw = Encoding.UTF8.GetBytes("plain text, not framed\n");
        act = () => DockerLogFrames.CopyAsync(new MemoryStream(raw), (_, _) => ValueTask.CompletedTask, CancellationToken.None);
        await act.Should().ThrowAsync<InvalidDataException>().WithMessage("*not a log frame*");
    }

    [Fact]
    public void Cpu_percent_uses_the_engine_previous_reading_or_ours_and_rates_come_from_the_previous_poll()
    {
        using var feature = new DockerFeature("/nonexistent/docker.sock");
        var start = Stopwatch.GetTimestamp();

        // One-shot stats (no precpu): the first poll has no CPU and no rates yet.
        var first = feature.Usage("c1", Stats(cpu: 1_000_000_000, system: 100_000_000_000, cpus: 2, rx: 1000, tx: 500), start);
        first.CpuPercent.Should().BeNull();
        first.NetRx.Should().BeNull();
        first.MemBytes.Should().Be(40 * 1024 * 1024, "inactive file cache is not counted");
        first.MemLimit.Should().Be(512L * 1024 * 1024);

        // 0.5 s of CPU over 10 s of system time on 2 CPUs = 10 %; 3000 bytes in 2 s = 1500 B/s.
        var second = feature.Usage("c1", Stats(cpu: 1_500_000_000, system: 110_000_000_000, cpus: 2, rx: 4000, tx: 1500), start + 2 * Stopwatch.Frequency);
        second.CpuPercent.Should().Be(10);
        second.NetRx.Should().BeApproximately(1500, 0.01);
        second.NetTx.Should().BeApproximately(500, 0.01);

        // An engine that sends precpu_stats (stream=false without one-shot) is taken at its word.
        var withPre = Stats(cpu: 3_000_000_000, system: 120_000_000_000, cpus: 4, rx: 0, tx: 0) with
        {
            PreCpuStats = new EngineCpuStats(new EngineCpuUsage(2_000_000_000), 100_000_000_000, 4),
        };
        feature.Usage("c2", withPre, start).CpuPercent.Should().Be(20);
    }

    [Theory]
    [InlineData("2026-12-01T01:37:00.123456789Z", 1796089020123L)]
    [InlineData("2026-12-01T01:37:00Z", 1796089020000L)]
    [InlineData("0001-01-01T00:00:00Z", null)]
    [InlineData("", null)]
    public void Docker_timestamps_with_nanoseconds_parse(string text, long? expected) =>
        DockerFeature.ParseTime(text).Should().Be(expected);

    [Theory]
    [InlineData("ticker", true)]
    [InlineData("web_1.blue-green", true)]
    [InlineData("45e8356669c0", true)]
    [InlineData("-leading-dash", false)]
    [InlineData("../etc", false)]
    [InlineData("a/b", false)]
    [InlineData("a?force=true", false)]
    [InlineData("", false)]
    public void Container_names_are_checked_before_they_reach_an_engine_url(string name, bool valid) =>
        DockerNames.IsValidContainer(name).Should().Be(valid);

    [Fact]
    public async Task Without_a_socket_info_says_why_instead_of_failing()
    {
        var dir = Directory.CreateTempSubdirectory("sx-docker-").FullName;
        try
        {
            var missing = Path.Combine(dir, "missing.sock");
            using (var feature = new DockerFeature(missing))
            {
                var info = await feature.InfoAsync(CancellationToken.None);
                info.Available.Should().BeFalse();
                info.Error.Should().Be($"no Docker socket at {missing}");
                var act = () => feature.ContainersAsync(CancellationToken.None);
                (await act.Should().ThrowAsync<JsonRpcException>()).Which.Code.Should().Be(JsonRpcErrorCodes.OperationFailed);
            }

            // A socket file nobody listens on, as a stopped daemon leaves behind (bound, never listening).
            var stale = Path.Combine(dir, "stale.sock");
            using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            bound.Bind(new UnixDomainSocketEndPoint(stale));
            using (var feature = new DockerFeature(stale))
                (await feature.InfoAsync(CancellationToken.None)).Error.Should().StartWith($"nothing is listening on {stale}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_socket_comes_from_the_flag_the_environment_or_the_file_and_must_be_absolute()
    {
        var host = new NodeHost("/nonexistent/node.json", IsRoot: false, Home: Path.GetTempPath());
        string[] baseArgs = ["--core", "https://core.example", "--key", "k"];
        var env = new Dictionary<string, string> { ["SENTINELX_NODE_DOCKER_SOCKET"] = "/run/podman/podman.sock" };

        NodeSettingsLoader.Load(baseArgs, _ => null, host).Settings!.DockerSocket.Should().Be("/var/run/docker.sock");
        NodeSettingsLoader.Load(baseArgs, n => env.GetValueOrDefault(n), host).Settings!.DockerSocket.Should().Be("/run/podman/podman.sock");
        NodeSettingsLoader.Load([.. baseArgs, "--docker-socket", "/tmp/d.sock"], n => env.GetValueOrDefault(n), host).Settings!.DockerSocket.Should().Be("/tmp/d.sock");
        NodeSettingsLoader.Load([.. baseArgs, "--docker-socket", "docker.sock"], _ => null, host).Errors
            .Should().ContainSingle().Which.Should().Contain("must be an absolute path");
    }

    private static EngineStats Stats(ulong cpu, ulong system, int cpus, ulong rx, ulong tx) => new(
        new EngineCpuStats(new EngineCpuUsage(cpu), system, cpus),
        new EngineCpuStats(null, 0, 0),
        new EngineMemoryStats(50 * 1024 * 1024, 512UL * 1024 * 1024, new EngineMemoryDetail(10 * 1024 * 1024, null, 12 * 1024 * 1024)),
        new Dictionary<string, EngineNetwork> { ["eth0"] = new(rx, tx) });

    /// <summary>Hands out at most a few bytes per read, as a socket may.</summary>
    private sealed class TrickleStream(Stream inner, int max) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, max));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer[..Math.Min(buffer.Length, max)], ct);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
