namespace SentinelX.Shared.Protocol;

/// <summary>Limits both sides of <c>exec.*</c> enforce.</summary>
public static class ExecLimits
{
    /// <summary>Largest command or script, in UTF-8 bytes.</summary>
    public const int MaxCommandBytes = 64 * 1024;

    public const int DefaultTimeoutSeconds = 60;
    public const int MaxTimeoutSeconds = 86_400;

    /// <summary>Output the Node forwards per stream; the rest is drained and dropped, and the exit says <c>truncated</c>.</summary>
    public const int MaxOutputBytes = 1024 * 1024;

    /// <summary>Largest chunk of one <see cref="Methods.ExecOutput"/> notification (before base64).</summary>
    public const int MaxChunkBytes = 64 * 1024;

    /// <summary>How long a cancelled or timed-out process group gets between SIGTERM and SIGKILL.</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    public const int MaxEnvVariables = 100;
}

/// <summary>How an exec run ended, as <see cref="ExecExit.Status"/> says it.</summary>
public static class ExecStatuses
{
    public const string Running = "running";
    public const string Exited = "exited";
    public const string Timeout = "timeout";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";
}

/// <summary>Params of <see cref="Methods.ExecStart"/>: run <c>/bin/sh -c Command</c> in its own session.</summary>
public sealed record ExecStartParams
{
    public required string RunId { get; init; }
    public required string Command { get; init; }

    /// <summary>The user to run as; null for the Node's own user. Only a Node running as root can switch.</summary>
    public string? RunAs { get; init; }

    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
    public int TimeoutSeconds { get; init; } = ExecLimits.DefaultTimeoutSeconds;
}

/// <summary>Result of <see cref="Methods.ExecStart"/>: the process started (its output and exit follow as notifications).</summary>
public sealed record ExecStartResult
{
    public required int Pid { get; init; }
}

/// <summary>Params of <see cref="Methods.ExecOutput"/>: a chunk of one stream, in order.</summary>
public sealed record ExecOutput
{
    public required string RunId { get; init; }

    /// <summary>"stdout" or "stderr".</summary>
    public required string Stream { get; init; }

    /// <summary>Raw bytes (base64 in JSON): output need not be UTF-8.</summary>
    public required byte[] Data { get; init; }
}

/// <summary>Params of <see cref="Methods.ExecExit"/>: the run is over; sent after its last output chunk.</summary>
public sealed record ExecExit
{
    public required string RunId { get; init; }

    /// <summary>One of <see cref="ExecStatuses"/> except running.</summary>
    public required string Status { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>The signal that ended the shell, when one did.</summary>
    public int? Signal { get; init; }

    public long DurationMs { get; init; }

    /// <summary>True when either stream went over <see cref="ExecLimits.MaxOutputBytes"/>.</summary>
    public bool Truncated { get; init; }

    public string? Error { get; init; }
}

/// <summary>Params of <see cref="Methods.ExecCancel"/>.</summary>
public sealed record ExecCancelParams
{
    public required string RunId { get; init; }
}

/// <summary>Result of <see cref="Methods.ExecCancel"/>: false when the run had already ended.</summary>
public sealed record ExecCancelResult
{
    public required bool Cancelled { get; init; }
}

public static partial class Methods
{
    /// <summary>Core → Node request. <see cref="ExecStartParams"/> → <see cref="ExecStartResult"/>.</summary>
    public const string ExecStart = "exec.start";

    /// <summary>Node → Core notification with output. <see cref="ExecOutput"/>.</summary>
    public const string ExecOutput = "exec.output";

    /// <summary>Node → Core notification when a run ends. <see cref="ExecExit"/>.</summary>
    public const string ExecExit = "exec.exit";

    /// <summary>Core → Node request: kill the run's process group. <see cref="ExecCancelParams"/> → <see cref="ExecCancelResult"/>.</summary>
    public const string ExecCancel = "exec.cancel";
}
