namespace SentinelX.Shared.Protocol;

public static partial class Methods
{
    /// <summary>
    /// Core → Node request: the processes using the most CPU or memory right now.
    /// <see cref="ProcessTopParams"/> → <see cref="ProcessTopResult"/>. Monitoring, not a capability:
    /// every Node answers it whatever its <c>allow</c> list says.
    /// </summary>
    public const string ProcessTop = "process.top";
}

/// <summary>Names and limits shared by the Core's validation and the Node's.</summary>
public static class ProcessNames
{
    public const string Cpu = "cpu";
    public const string Memory = "memory";

    public static readonly IReadOnlyList<string> Sorts = [Cpu, Memory];

    public const int DefaultTop = 20;
    public const int MaxTop = 200;

    /// <summary>The kernel keeps 15 bytes of a process name; a UTF-8 name decodes to at most as many chars.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Longer user names are cut; useradd allows 32.</summary>
    public const int MaxUserLength = 64;

    /// <summary>Command lines are cut to this many chars: enough to tell processes apart, and 200 of them stay far below the message limit.</summary>
    public const int MaxCommandLength = 512;

    /// <summary>A process using every core of the largest machine Linux runs on; anything above is a broken answer.</summary>
    public const double MaxCpuPercent = 100.0 * 8192;

    public static bool IsSort(string? value) => value is Cpu or Memory;

    /// <summary>Returns why a request is unacceptable, or null. The Core asks before it sends, the Node again when it receives.</summary>
    public static string? Validate(int top, string? sort)
    {
        if (top is < 1 or > MaxTop) return $"top must be a whole number from 1 to {MaxTop}";
        if (!IsSort(sort)) return $"sort must be {Cpu} or {Memory}";
        return null;
    }
}

/// <summary>
/// Params of <see cref="Methods.ProcessTop"/>. Both are required: the defaults (<see cref="ProcessNames.DefaultTop"/>,
/// by CPU) belong to the HTTP API, and generated JSON code would fill a missing field with 0 or null, not with them.
/// </summary>
public sealed record ProcessTopParams
{
    /// <summary>How many processes to send (1 to <see cref="ProcessNames.MaxTop"/>).</summary>
    public required int Top { get; init; }

    /// <summary><see cref="ProcessNames.Cpu"/> or <see cref="ProcessNames.Memory"/>.</summary>
    public required string Sort { get; init; }
}

/// <summary>One process as the Processes tab shows it.</summary>
public sealed record ProcessInfo
{
    public required int Pid { get; init; }

    /// <summary>The kernel's name for it (<c>comm</c>), at most 15 bytes.</summary>
    public required string Name { get; init; }

    /// <summary>The owner's user name, or the numeric uid when the Node's <c>/etc/passwd</c> does not know it.</summary>
    public required string User { get; init; }

    /// <summary>Share of one core over the sampling window, as <c>top</c> shows it: a process busy on two cores is 200.</summary>
    public required double CpuPercent { get; init; }

    /// <summary>Resident set size.</summary>
    public required long MemBytes { get; init; }

    /// <summary>Arguments joined by spaces, cut to <see cref="ProcessNames.MaxCommandLength"/>; <c>[name]</c> for kernel threads and zombies.</summary>
    public required string Command { get; init; }
}

/// <summary>Result of <see cref="Methods.ProcessTop"/>: at most <c>top</c> processes, highest first.</summary>
public sealed record ProcessTopResult
{
    public required IReadOnlyList<ProcessInfo> Processes { get; init; }

    /// <summary>How long the CPU shares were measured over, in ms.</summary>
    public required int SampledMs { get; init; }
}
