using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using FluentAssertions;
using SentinelX.App.Features.Install;
using Xunit;

namespace SentinelX.Tests.Install;

/// <summary>
/// Which build install.sh downloads: the shipped script's own detect_rid, run against fake system roots
/// (SENTINELX_LIBC_PROBE_ROOT) whose /bin/sh is this machine's, with its ELF interpreter rewritten.
/// </summary>
public sealed class InstallScriptLibcTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sx-libc-").FullName;

    private static readonly string Arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x64";

    private static readonly string MuslLoader = Arch == "arm64" ? "/lib/ld-musl-aarch64.so.1" : "/lib/ld-musl-x86_64.so.1";

    private static readonly string GlibcLoader = Arch == "arm64" ? "/lib/ld-linux-aarch64.so.1" : "/lib64/ld-linux-x86-64.so.2";

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_glibc_system_with_the_musl_package_installed_gets_the_glibc_build()
    {
        WriteShell(GlibcLoader);
        Touch(MuslLoader); // what apt-get install musl adds on Debian
        Touch(GlibcLoader);

        (await DetectRidAsync()).Should().Be($"linux-{Arch}");
    }

    [Fact]
    public async Task A_musl_system_gets_the_musl_build()
    {
        WriteShell(MuslLoader);
        Touch(MuslLoader);

        (await DetectRidAsync()).Should().Be($"linux-musl-{Arch}");
    }

    [Theory]
    [InlineData("echo 'musl libc (x86_64)' >&2; echo 'Version 1.2.4' >&2; exit 1", "musl-")]
    [InlineData("echo 'ldd (Debian GLIBC 2.36-9+deb12u14) 2.36'", "")]
    public async Task With_a_static_shell_the_c_librarys_own_ldd_decides(string ldd, string libc)
    {
        File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName, "sh"), [0x7f, (byte)'E', (byte)'L', (byte)'F', .. new byte[4092]]);
        Touch(MuslLoader); // present in both: it must not be what decides
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "usr", "bin")).FullName, "ldd");
        await File.WriteAllTextAsync(path, $"#!/bin/sh\n{ldd}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        (await DetectRidAsync()).Should().Be($"linux-{libc}{Arch}");
    }

    /// <summary>This machine's /bin/sh with its PT_INTERP (the loader path the kernel starts it with) set to <paramref name="loader"/>.</summary>
    private void WriteShell(string loader)
    {
        var elf = File.ReadAllBytes("/bin/sh");
        elf[..4].Should().Equal(0x7f, (byte)'E', (byte)'L', (byte)'F');
        var programHeaders = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x20));
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x36));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x38));
        var interp = Enumerable.Range(0, count).Select(i => programHeaders + i * entrySize)
            .Single(h => BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(h)) == 3); // PT_INTERP
        var offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(interp + 8));
        var size = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(interp + 32));
        var path = Encoding.ASCII.GetBytes(loader);
        path.Length.Should().BeLessThan(size, "the new path must fit where the old one was");
        elf.AsSpan(offset, size).Clear();
        path.CopyTo(elf, offset);
        File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName, "sh"), elf);
    }

    private void Touch(string loader)
    {
        var path = Path.Combine(_root, loader.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
    }

    /// <summary>Runs the shipped script's detect_rid (everything but its last line, which runs main) under the fake root.</summary>
    private async Task<string> DetectRidAsync()
    {
        var lines = (await File.ReadAllTextAsync(new InstallScript().Path)).TrimEnd().Split('\n');
        lines[^1].Should().Be("main \"$@\"", "the script ends by running main, which this test leaves out");
        var info = new ProcessStartInfo("bash", "-s")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["SENTINELX_LIBC_PROBE_ROOT"] = _root },
        };
        using var bash = Process.Start(info)!;
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        await bash.StandardInput.WriteAsync(string.Join('\n', lines[..^1]) + "\ndetect_rid\n");
        bash.StandardInput.Close();
        await bash.WaitForExitAsync();
        bash.ExitCode.Should().Be(0, await stderr);
        return (await stdout).Trim();
    }
}
