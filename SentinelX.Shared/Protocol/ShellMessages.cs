namespace SentinelX.Shared.Protocol;

public static partial class Methods
{
    /// <summary>
    /// Core → Node request: start a shell on a new pseudo-terminal and bridge it over the data stream
    /// <see cref="ShellOpenParams.StreamId"/>. <see cref="ShellOpenParams"/> → <see cref="ShellOpenResult"/>.
    /// </summary>
    public const string ShellOpen = "shell.open";
}

/// <summary>Asks the Node for a login shell on a PTY of the given size.</summary>
public sealed record ShellOpenParams
{
    /// <summary>The Core's id for the terminal; the Node logs it and refuses a second open with the same id.</summary>
    public required string SessionId { get; init; }

    /// <summary>The data stream the Node dials; binary frames are terminal bytes both ways.</summary>
    public required string StreamId { get; init; }

    public int Cols { get; init; } = 80;
    public int Rows { get; init; } = 24;

    /// <summary>Another local user to run the shell as (needs the Node to run as root); null for the Node's own user.</summary>
    public string? RunAs { get; init; }
}

public sealed record ShellOpenResult
{
    /// <summary>The shell's process id on the Node (also its session and process group id).</summary>
    public int Pid { get; init; }
}

/// <summary>
/// A control message in a text frame on a shell stream, Core → Node: <c>{"type":"resize","cols":120,"rows":40}</c>.
/// Unknown types are ignored so later versions can add more.
/// </summary>
public sealed record ShellControl
{
    public const string Resize = "resize";

    public required string Type { get; init; }
    public int Cols { get; init; }
    public int Rows { get; init; }
}

/// <summary>Limits both sides apply to a terminal.</summary>
public static class ShellLimits
{
    public const int MaxCols = 1000;
    public const int MaxRows = 500;

    /// <summary>Clamps a requested size to something a PTY accepts (at least 2×1).</summary>
    public static (ushort Cols, ushort Rows) Clamp(int cols, int rows) =>
        ((ushort)Math.Clamp(cols, 2, MaxCols), (ushort)Math.Clamp(rows, 1, MaxRows));
}
