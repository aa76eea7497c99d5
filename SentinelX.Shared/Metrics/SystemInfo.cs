namespace SentinelX.Shared.Metrics;

/// <summary>What a Node is: sent in hello and again whenever it changes.</summary>
public sealed record SystemInfo
{
    public required string Hostname { get; init; }

    /// <summary>Human name of the distribution, e.g. "Debian GNU/Linux 12 (bookworm)".</summary>
    public required string Os { get; init; }
    public required string Kernel { get; init; }

    /// <summary>Architecture as Go and Docker spell it: amd64, arm64, …</summary>
    public required string Arch { get; init; }
    public string CpuModel { get; init; } = "";
    public int CpuCores { get; init; }
    public long MemTotalBytes { get; init; }
    public long SwapTotalBytes { get; init; }

    /// <summary>"none" on bare metal, otherwise kvm, xen, lxc, docker, openvz, …</summary>
    public string Virtualization { get; init; } = "none";
    public DateTimeOffset BootTime { get; init; }
    public string AgentVersion { get; init; } = "";
    public IReadOnlyList<DiskInfo> Disks { get; init; } = [];
    public IReadOnlyList<NetworkInterfaceInfo> Interfaces { get; init; } = [];

    /// <summary>Globally routable addresses found on the Node's interfaces.</summary>
    public IReadOnlyList<string> PublicIps { get; init; } = [];
}

/// <summary>A mounted file system.</summary>
public sealed record DiskInfo
{
    public required string Mount { get; init; }
    public required string Device { get; init; }
    public required string FsType { get; init; }
    public long TotalBytes { get; init; }
}

/// <summary>A network interface and its addresses.</summary>
public sealed record NetworkInterfaceInfo
{
    public required string Name { get; init; }
    public string? Mac { get; init; }
    public IReadOnlyList<string> Addresses { get; init; } = [];
}
