using System.Text;
using System.Text.RegularExpressions;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.Exec;

/// <summary>What to run, as the API and the UI ask for it.</summary>
public sealed partial record ExecRequest
{
    public string Command { get; init; } = "";

    /// <summary>Defaults to <see cref="ExecLimits.DefaultTimeoutSeconds"/>.</summary>
    public int? TimeoutSeconds { get; init; }

    /// <summary>A user on the Node; empty for the Node's own user (root when installed as a service).</summary>
    public string? RunAs { get; init; }

    public string? WorkingDirectory { get; init; }
    public Dictionary<string, string>? Env { get; init; }

    public int Timeout => TimeoutSeconds ?? ExecLimits.DefaultTimeoutSeconds;

    /// <summary>Null when the request can be sent; else what is wrong with it, for a 400.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Command)) return "command is required";
        if (Encoding.UTF8.GetByteCount(Command) > ExecLimits.MaxCommandBytes) return $"command is longer than {ExecLimits.MaxCommandBytes} bytes";
        if (Command.Contains('\0')) return "command must not contain NUL characters";
        if (Timeout is < 1 or > ExecLimits.MaxTimeoutSeconds) return $"timeoutSeconds must be 1 to {ExecLimits.MaxTimeoutSeconds}";
        if (!string.IsNullOrEmpty(RunAs) && !UserName().IsMatch(RunAs)) return $"runAs \"{RunAs}\" is not a valid user name";
        if (!string.IsNullOrEmpty(WorkingDirectory) && (!WorkingDirectory.StartsWith('/') || WorkingDirectory.Length > 4096 || WorkingDirectory.Contains('\0')))
            return "workingDirectory must be an absolute path";
        if (Env is { } env)
        {
            if (env.Count > ExecLimits.MaxEnvVariables) return $"at most {ExecLimits.MaxEnvVariables} environment variables";
            foreach (var (name, value) in env)
            {
                if (!EnvName().IsMatch(name)) return $"environment variable name \"{name}\" must match [A-Za-z_][A-Za-z0-9_]*";
                if (value is null || value.Contains('\0')) return $"environment variable {name} needs a value without NUL characters";
            }
        }

        return null;
    }

    internal ExecStartParams ToParams(string runId) => new()
    {
        RunId = runId,
        Command = Command,
        RunAs = string.IsNullOrEmpty(RunAs) ? null : RunAs,
        WorkingDirectory = string.IsNullOrEmpty(WorkingDirectory) ? null : WorkingDirectory,
        Env = Env is { Count: > 0 } ? Env : null,
        TimeoutSeconds = Timeout,
    };

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[a-z_][a-z0-9_.-]{0,31}\\$?$", RegexOptions.IgnoreCase)]
    private static partial Regex UserName();
}

/// <summary>Body of the batch endpoint: one command for the Nodes named, or for every Node with a tag.</summary>
public sealed record ExecBatchRequest
{
    public string Command { get; init; } = "";
    public int? TimeoutSeconds { get; init; }
    public string? RunAs { get; init; }
    public string? WorkingDirectory { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    public List<string>? NodeIds { get; init; }
    public string? Tag { get; init; }

    public ExecRequest ToRequest() => new()
    {
        Command = Command, TimeoutSeconds = TimeoutSeconds, RunAs = RunAs, WorkingDirectory = WorkingDirectory, Env = Env,
    };
}

/// <summary>A finished (or refused) run as the API returns it; output is UTF-8 with invalid bytes replaced.</summary>
public sealed record ExecResultView
{
    public string? RunId { get; init; }
    public required string NodeId { get; init; }
    public string? NodeName { get; init; }
    public required string Status { get; init; }
    public int? ExitCode { get; init; }
    public string Stdout { get; init; } = "";
    public string Stderr { get; init; } = "";
    public long DurationMs { get; init; }
    public bool Truncated { get; init; }
    public string? Error { get; init; }

    /// <summary>The closed lock ("core", "node", "offline") when the run was refused.</summary>
    public string? Lock { get; init; }

    public static ExecResultView Of(ExecRun run, string? nodeName = null) => new()
    {
        RunId = run.Id,
        NodeId = run.NodeId,
        NodeName = nodeName,
        Status = run.Status,
        ExitCode = run.ExitCode,
        Stdout = run.Stdout,
        Stderr = run.Stderr,
        DurationMs = run.DurationMs,
        Truncated = run.Truncated,
        Error = run.Error.Length == 0 ? null : run.Error,
    };
}

/// <summary>The batch endpoint's answer: one result per Node, refusals included.</summary>
public sealed record ExecBatchView(string BatchId, IReadOnlyList<ExecResultView> Results);

/// <summary>One history line: everything but the output.</summary>
public sealed record ExecRunSummary(
    string Id, string? BatchId, string NodeId, string Command, string RunAs, string WorkingDirectory, int TimeoutSeconds,
    string RequestedBy, long StartedAt, long? FinishedAt, string Status, int? ExitCode, long DurationMs, bool Truncated, string Error);

/// <summary>A whole stored run, output included.</summary>
public sealed record ExecRunView(
    string Id, string? BatchId, string NodeId, string Command, string RunAs, string WorkingDirectory, int TimeoutSeconds,
    string RequestedBy, long StartedAt, long? FinishedAt, string Status, int? ExitCode, long DurationMs, bool Truncated, string Error,
    string Stdout, string Stderr)
{
    public static ExecRunView Of(ExecRun r) => new(r.Id, r.BatchId, r.NodeId, r.Command, r.RunAs, r.WorkingDirectory, r.TimeoutSeconds,
        r.RequestedBy, r.StartedAt, r.FinishedAt, r.Status, r.ExitCode, r.DurationMs, r.Truncated, r.Error, r.Stdout, r.Stderr);
}
