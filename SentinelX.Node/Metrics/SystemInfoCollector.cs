using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SentinelX.Shared.Metrics;

namespace SentinelX.Node.Metrics;

/// <summary>Builds <see cref="SystemInfo"/>: what the machine is, as opposed to how busy it is.</summary>
internal sealed class SystemInfoCollector(string agentVersion, string procRoot = "/proc", string sysRoot = "/sys", string etcRoot = "/etc")
{
    private readonly ProcFileReader _reader = new();
    private string? _virtualization;

    public SystemInfo Collect()
    {
        var (model, count) = ProcParsers.ParseCpuInfo(_reader.Read(procRoot + "/cpuinfo"));
        var mem = ProcParsers.ParseMemInfo(_reader.Read(procRoot + "/meminfo"));
        ProcParsers.ParseStat(_reader.Read(procRoot + "/stat"), [], out var bootTime);
        var mounts = ProcParsers.ParseMounts(_reader.Read(procRoot + "/self/mounts"));

        var disks = new List<DiskInfo>(mounts.Count);
        foreach (var m in mounts)
        {
            if (Native.TryStatVfs(m.MountPoint, out var total, out _))
                disks.Add(new DiskInfo { Mount = m.MountPoint, Device = m.Device, FsType = m.FsType, TotalBytes = total });
        }

        var (interfaces, publicIps) = ReadInterfaces();
        return new SystemInfo
        {
            Hostname = Environment.MachineName,
            Os = ProcParsers.ParseOsRelease(ReadOsRelease()),
            Kernel = _reader.Read(procRoot + "/sys/kernel/osrelease").Trim().ToString(),
            Arch = Arch(RuntimeInformation.OSArchitecture),
            CpuModel = model,
            CpuCores = count > 0 ? count : Environment.ProcessorCount,
            MemTotalBytes = mem.Total,
            SwapTotalBytes = mem.SwapTotal,
            Virtualization = _virtualization ??= DetectVirtualization(),
            BootTime = bootTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(bootTime) : default,
            AgentVersion = agentVersion,
            Disks = disks,
            Interfaces = interfaces,
            PublicIps = publicIps,
        };
    }

    private ReadOnlySpan<char> ReadOsRelease()
    {
        var text = _reader.Read(etcRoot + "/os-release");
        return text.IsEmpty ? _reader.Read("/usr/lib/os-release") : text;
    }

    /// <summary>The architecture as Go and Docker name it.</summary>
    public static string Arch(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.Arm or Architecture.Armv6 => "arm",
        Architecture.X86 => "386",
        Architecture.RiscV64 => "riscv64",
        Architecture.LoongArch64 => "loong64",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// systemd-detect-virt knows the most hypervisors and container managers; without it, look for
    /// the tell-tale files of containers first (they run on any host) and then of VMs.
    /// </summary>
    private string DetectVirtualization()
    {
        if (RunDetectVirt() is { } detected) return detected;
        if (File.Exists("/.dockerenv")) return "docker";
        if (File.Exists("/run/.containerenv")) return "podman";
        var cgroup = _reader.Read(procRoot + "/1/cgroup");
        if (cgroup.Contains("docker", StringComparison.Ordinal)) return "docker";
        if (cgroup.Contains("lxc", StringComparison.Ordinal)) return "lxc";
        if (cgroup.Contains("kubepods", StringComparison.Ordinal)) return "container";
        if (Directory.Exists(procRoot + "/vz") && !Directory.Exists(procRoot + "/bc")) return "openvz";

        var dmi = string.Concat(
            _reader.Read(sysRoot + "/class/dmi/id/sys_vendor").Trim().ToString(), " ",
            _reader.Read(sysRoot + "/class/dmi/id/product_name").Trim().ToString());
        foreach (var (marker, name) in (ReadOnlySpan<(string, string)>)[
            ("KVM", "kvm"), ("QEMU", "qemu"), ("VMware", "vmware"), ("VirtualBox", "oracle"), ("Xen", "xen"),
            ("Microsoft Corporation", "microsoft"), ("Amazon EC2", "amazon"), ("Google", "google"),
            ("DigitalOcean", "kvm"), ("Hetzner", "kvm"), ("Parallels", "parallels"), ("Bochs", "bochs")])
        {
            if (dmi.Contains(marker, StringComparison.OrdinalIgnoreCase)) return name;
        }

        if (Directory.Exists(procRoot + "/xen")) return "xen";
        return ProcParsers.HasHypervisorFlag(_reader.Read(procRoot + "/cpuinfo")) ? "vm" : "none";
    }

    private static string? RunDetectVirt()
    {
        foreach (var path in (ReadOnlySpan<string>)["/usr/bin/systemd-detect-virt", "/bin/systemd-detect-virt"])
        {
            if (!File.Exists(path)) continue;
            try
            {
                using var process = Process.Start(new ProcessStartInfo(path)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
                if (process is null) return null;
                var output = process.StandardOutput.ReadToEnd().Trim();
                if (!process.WaitForExit(3000))
                {
                    process.Kill();
                    return null;
                }

                // It exits 1 and prints "none" on bare metal; both answers are useful.
                return output.Length > 0 ? output : null;
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
            {
                return null;
            }
        }

        return null;
    }

    private static (List<NetworkInterfaceInfo> Interfaces, List<string> PublicIps) ReadInterfaces()
    {
        var interfaces = new List<NetworkInterfaceInfo>();
        var publicIps = new List<string>();
        NetworkInterface[] all;
        try
        {
            all = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return (interfaces, publicIps);
        }

        foreach (var nic in all.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            var mac = nic.GetPhysicalAddress().GetAddressBytes();
            var addresses = new List<string>();
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                addresses.Add(address.AddressFamily == AddressFamily.InterNetworkV6 && unicast.PrefixLength > 0
                    ? $"{WithoutScope(address)}/{unicast.PrefixLength}"
                    : address.AddressFamily == AddressFamily.InterNetwork ? $"{address}/{unicast.PrefixLength}" : address.ToString());
                if (AddressScope.IsGloballyRoutable(address)) publicIps.Add(WithoutScope(address));
            }

            interfaces.Add(new NetworkInterfaceInfo
            {
                Name = nic.Name,
                Mac = mac.Length == 6 ? FormatMac(mac) : null,
                Addresses = addresses,
            });
        }

        return (interfaces, publicIps.Distinct(StringComparer.Ordinal).ToList());
    }

    private static string FormatMac(byte[] mac)
    {
        var hex = Convert.ToHexStringLower(mac);
        return string.Create(mac.Length * 3 - 1, hex, static (span, hex) =>
        {
            for (int i = 0, j = 0; i < hex.Length; i += 2)
            {
                if (j > 0) span[j++] = ':';
                span[j++] = hex[i];
                span[j++] = hex[i + 1];
            }
        });
    }

    private static string WithoutScope(IPAddress address)
    {
        var text = address.ToString();
        var percent = text.IndexOf('%', StringComparison.Ordinal);
        return percent < 0 ? text : text[..percent];
    }
}
