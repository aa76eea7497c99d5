using System.Buffers.Binary;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// What packaging/build-node.sh ships: one NativeAOT executable per glibc RID, alone in its directory,
/// the arm64 one cross-compiled on this machine and started under qemu-user.
/// </summary>
public sealed class NodeBinaryTests
{
    private const string Qemu = "/usr/bin/qemu-aarch64-static";

    /// <summary>Where Debian's libc6-arm64-cross puts the arm64 loader and libc the binary links against.</summary>
    private const string Arm64SysRoot = "/usr/aarch64-linux-gnu";

    private const ushort MachineArm64 = 183;

    [Fact]
    public async Task The_host_node_is_one_native_executable_with_nothing_beside_it()
    {
        var binary = new FileInfo(Binaries.Node);

        Directory.EnumerateFileSystemEntries(binary.DirectoryName!).Select(Path.GetFileName)
            .Should().Equal(["sentinelx-node"], "debug symbols (.dbg, .pdb) are not shipped");
        IsNativeAot(binary.FullName).Should().BeTrue("glibc builds are NativeAOT, not a single file carrying the runtime");
        binary.Length.Should().BeLessThanOrEqualTo(12 * 1024 * 1024);

        var version = await RunAsync(binary.FullName, "--version");
        version.Should().MatchRegex(@"^sentinelx-node \d+\.\d+\.\d+");
    }

    [QemuFact]
    public async Task The_arm64_node_is_cross_compiled_native_and_runs_under_qemu()
    {
        var binary = new FileInfo(Binaries.NodeFor("linux-arm64"));
        binary.Exists.Should().BeTrue($"{binary} is built by packaging/build-node.sh --rid linux-arm64 (tests/run.sh does it)");
        Directory.Exists(Arm64SysRoot).Should().BeTrue("apt-get install libc6-arm64-cross provides the arm64 loader qemu needs");

        Machine(binary.FullName).Should().Be(MachineArm64);
        IsNativeAot(binary.FullName).Should().BeTrue();
        binary.Length.Should().BeLessThanOrEqualTo(12 * 1024 * 1024);

        (await RunAsync(Qemu, "-L", Arm64SysRoot, binary.FullName, "--version"))
            .Should().Be(await RunAsync(Binaries.Node, "--version"), "both builds come from the same source");
        (await RunAsync(Qemu, "-L", Arm64SysRoot, binary.FullName, "--help")).Should().StartWith("usage: sentinelx-node run");
    }

    /// <summary>NativeAOT puts the compiled managed code in an ELF section of this name; a single-file build has none.</summary>
    private static bool IsNativeAot(string path) => File.ReadAllBytes(path).AsSpan().IndexOf("__managedcode\0"u8) >= 0;

    private static ushort Machine(string path)
    {
        var header = new byte[20];
        using (var file = File.OpenRead(path)) file.ReadExactly(header);
        header[..4].Should().Equal(0x7f, (byte)'E', (byte)'L', (byte)'F');
        return BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18)); // e_machine
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var (code, stdout, stderr) = await ManagedProcess.RunAsync(file, args, timeout: TimeSpan.FromSeconds(60));
        code.Should().Be(0, $"{file} {string.Join(' ', args)} failed: {stderr}");
        return stdout.Trim();
    }

    /// <summary>A test that needs qemu-user to run arm64 code on this machine, skipped (with the reason) where it is not installed.</summary>
    private sealed class QemuFactAttribute : FactAttribute
    {
        public QemuFactAttribute()
        {
            if (!File.Exists(Qemu)) Skip = $"{Qemu} is missing (apt-get install qemu-user-static): the arm64 Node cannot be run here";
        }
    }
}
